/**
 * Runs the host networking tools (`ip`, `nft`) with a script on stdin: one process per batch, so a
 * whole sandbox network is set up or torn down in a couple of spawns. They start through
 * posix_spawn (sandbox/fast-spawn.ts): child_process.spawn forks all of Node and blocks the event
 * loop for tens of ms each, and every sandbox's attach and release runs several of them.
 */
import { CordonError } from '../errors.js';
import { hostEnv, spawnLauncher, type LauncherProcess } from '../sandbox/fast-spawn.js';
import { findExecutable } from '../sandbox/host.js';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

const paths = new Map<string, string | null>();

function toolPath(cmd: string): string | null {
  if (cmd.startsWith('/')) return cmd;
  if (!paths.has(cmd)) paths.set(cmd, findExecutable(cmd));
  return paths.get(cmd) ?? null;
}

/** Runs `cmd args` with `input` on stdin; never rejects (callers decide what a failure means). */
export async function runTool(
  cmd: string,
  args: readonly string[],
  input = '',
): Promise<ToolResult> {
  const file = toolPath(cmd);
  if (!file) return { code: 127, stdout: '', stderr: `${cmd}: not found` };
  let child: LauncherProcess;
  try {
    child = await spawnLauncher(file, args, { env: hostEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (error) {
    return { code: 127, stdout: '', stderr: String(error) };
  }
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => resolve({ code: 127, stdout: '', stderr: String(e) }));
    child.on('close', (code: number | null) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin?.on('error', () => undefined); // the tool may exit before reading everything
    child.stdin?.end(input);
  });
}

/** Like runTool, but a non-zero exit becomes CORDON_E_NETWORK_SETUP with the tool's message. */
export async function mustRunTool(
  cmd: string,
  args: readonly string[],
  input = '',
): Promise<string> {
  const r = await runTool(cmd, args, input);
  if (r.code !== 0) {
    throw new CordonError(
      'CORDON_E_NETWORK_SETUP',
      `${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}`,
      {
        details: { cmd, args: [...args], code: r.code, stderr: r.stderr, input },
      },
    );
  }
  return r.stdout;
}
