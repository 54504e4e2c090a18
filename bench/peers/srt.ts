/**
 * Anthropic's sandbox-runtime as a benchmark peer, installed for the benchmark only into
 * bench/.peers (npm, never the project's dependencies), configured to a policy equivalent to
 * cordon's: write only to the workspace, network allowed to one name. Its CLI (`srt`) and its
 * library (`SandboxManager.wrapWithSandbox`, in-process) are both measured.
 *
 * srt needs ripgrep only to list dangerous files (.bashrc, .git/hooks ...) under the working
 * directory before each wrap; Debian's ripgrep is not installed here and no binary may be
 * downloaded, so `ripgrep.command` (srt's own setting) points at a small find-based stand-in with
 * the same output contract. The bench workspace is empty, so the scan finds nothing either way.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cordonPackageRoot } from '../../src/sandbox/index.js';
import { errorText, runCapture } from '../harness.js';

export const SRT_PACKAGE = '@anthropic-ai/sandbox-runtime';

/** Figures from ../shared/design.md, quoted when srt cannot run here: never passed off as measured. */
export const SRT_PUBLISHED = {
  cliMs: 405,
  cliText: '380-430 ms per CLI call',
  libraryMs: 34,
  libraryText: '34 ms per command in-process',
} as const;

export function peersDir(): string {
  return join(cordonPackageRoot(), 'bench', '.peers');
}

function srtPackageDir(): string {
  return join(peersDir(), 'node_modules', ...SRT_PACKAGE.split('/'));
}

export function srtVersion(): string | undefined {
  try {
    const manifest = readFileSync(join(srtPackageDir(), 'package.json'), 'utf8');
    return (JSON.parse(manifest) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * Installs the package into bench/.peers when absent. Needs the npm registry, so it runs before
 * the benchmark re-executes itself inside the no-uplink namespace.
 * @returns an error text when it is still absent afterwards.
 */
export function ensureSrtInstalled(): string | undefined {
  if (srtVersion()) return undefined;
  const r = spawnSync(
    'npm',
    ['install', '--prefix', peersDir(), '--no-audit', '--no-fund', '--no-save', SRT_PACKAGE],
    { encoding: 'utf8', timeout: 300_000 },
  );
  if (srtVersion()) return undefined;
  return `npm install ${SRT_PACKAGE} failed: ${errorText(r.stderr || r.error || r.status)}`;
}

// rg --files --hidden --max-depth N --iglob P... -g !**/node_modules/** DIR, for srt's scan.
const RG_STANDIN = `#!/bin/sh
depth=3; dir=.
while [ $# -gt 0 ]; do case "$1" in --max-depth) depth=$2; shift 2;; *) dir=$1; shift;; esac; done
cd "$dir" 2>/dev/null || exit 2
out=$(find . -maxdepth "$depth" -name node_modules -prune -o -type f -print | sed 's|^\\./||' |
  grep -E '(^|/)(\\.git/(hooks/|config$)|\\.(bashrc|bash_profile|zshrc|zprofile|profile|gitconfig|gitmodules|ripgreprc|mcp\\.json)$|\\.(vscode|idea|claude)/)')
[ -n "$out" ] && { printf '%s\\n' "$out"; exit 0; }
exit 1
`;

export interface SrtPeer {
  version: string;
  /** The writable workspace (also the working directory of every srt run). */
  workspace: string;
  settingsPath: string;
  config: Record<string, unknown>;
  /** argv of the CLI running a shell command string. */
  cliArgv(command: string): string[];
  close(): void;
}

/** Writes the equivalent policy and checks that srt runs `true`; an error text when it cannot. */
export async function prepareSrt(
  // registry.test is the allowed name; srt refuses a name that resolves to loopback unless the
  // address is allow-listed too: listing it is srt's equivalent of cordon's network.hosts map.
  allowedDomains: readonly string[] = ['registry.test', '127.0.0.1'],
): Promise<SrtPeer | { error: string }> {
  const version = srtVersion();
  if (!version) return { error: `${SRT_PACKAGE} is not installed in ${peersDir()}` };
  const dir = mkdtempSync(join(tmpdir(), 'cordon-bench-srt-'));
  const workspace = join(dir, 'workspace');
  const rg = join(dir, 'rg');
  mkdirSync(workspace, { recursive: true });
  writeFileSync(rg, RG_STANDIN, { mode: 0o755 });
  const config = {
    filesystem: { denyRead: [], allowWrite: [workspace], denyWrite: [] },
    network: { allowedDomains: [...allowedDomains], deniedDomains: [] },
    ripgrep: { command: rg },
  };
  const settingsPath = join(dir, 'srt-settings.json');
  writeFileSync(settingsPath, JSON.stringify(config));
  const cli = join(srtPackageDir(), 'dist', 'cli.js');
  const peer: SrtPeer = {
    version,
    workspace,
    settingsPath,
    config,
    cliArgv: (command) => [process.execPath, cli, '--settings', settingsPath, '-c', command],
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
  const check = await runCapture(peer.cliArgv('true'), { cwd: workspace, timeoutMs: 60_000 }).catch(
    (error: unknown) => ({ code: null, out: errorText(error) }),
  );
  if (check.code !== 0) {
    peer.close();
    return { error: `srt ${version} cannot run here: ${errorText(check.out)}` };
  }
  return peer;
}

interface SandboxManagerApi {
  initialize(config: unknown): Promise<void>;
  wrapWithSandbox(command: string): Promise<string>;
  reset(): Promise<void>;
}

export interface SrtLibrary {
  /** Wraps `command` and runs it to exit: srt's in-process path for one command. */
  run(command: string): Promise<{ code: number | null; out: string }>;
  close(): Promise<void>;
}

/** srt's library in this process (its proxies start here). */
export async function srtLibrary(peer: SrtPeer): Promise<SrtLibrary> {
  const entry = pathToFileURL(join(srtPackageDir(), 'dist', 'index.js')).href;
  const mod = (await import(entry)) as { SandboxManager: SandboxManagerApi };
  const manager = mod.SandboxManager;
  await manager.initialize(peer.config);
  return {
    async run(command) {
      const wrapped = await manager.wrapWithSandbox(command);
      return new Promise((resolve, reject) => {
        const child = spawn(wrapped, {
          shell: true,
          cwd: peer.workspace,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        const add = (b: Buffer) => (out = (out + b.toString()).slice(-64_000));
        child.stdout.on('data', add);
        child.stderr.on('data', add);
        child.once('error', reject);
        child.once('close', (code) => resolve({ code, out }));
      });
    },
    close: () => manager.reset(),
  };
}

export function srtInstalled(): boolean {
  return existsSync(join(srtPackageDir(), 'package.json'));
}
