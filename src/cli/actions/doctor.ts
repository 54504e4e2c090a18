/**
 * `cordon doctor`: what this host supports, and what each missing piece disables (its options
 * are in ../commands/doctor.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Monitor } from '../../monitor/index.js';
import { loadBatchReader } from '../../monitor/line-reader.js';
import { kernelRelayStatus } from '../../net/index.js';
import {
  fastSpawnAvailable,
  nativeHelperPath,
  probeHost,
  type NativeHelper,
} from '../../sandbox/index.js';
import { paint } from '../output.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What is lost when the check fails. */
  disables: string;
  /** Without it cordon refuses to run sandboxes at all. */
  essential: boolean;
}

function tool(name: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(name, args, { encoding: 'utf8', timeout: 5000 });
  return {
    ok: r.status === 0,
    out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? '',
  };
}

function helper(name: NativeHelper): {
  ok: boolean;
  detail: string;
} {
  try {
    return { ok: true, detail: nativeHelperPath(name) };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

export function doctorChecks(): Check[] {
  const host = probeHost({ fresh: true });
  const monitor = Monitor.probe();
  const nft = tool('nft', ['list', 'tables']);
  const ip = tool('ip', ['-V']);
  const init = helper('cordon-init');
  const launch = helper('cordon-launch');
  const origDst = helper('orig_dst.node');
  const fastSpawn = helper('fast_spawn.node');
  const relay = kernelRelayStatus();
  const batchReader = helper('batch_reader.node');
  const batchReaderLoads = batchReader.ok && loadBatchReader() !== null;
  const root = process.getuid?.() === 0;
  const cg = host.cgroup;
  return [
    {
      name: 'bubblewrap',
      ok: !!host.bwrap,
      detail: host.bwrap
        ? `${host.bwrap.path} ${host.bwrap.version}`
        : 'not found (apt-get install bubblewrap)',
      disables: 'every sandbox',
      essential: true,
    },
    {
      name: 'user namespaces',
      ok: host.userNamespaces,
      detail: host.userNamespaces
        ? 'usable: the sandbox runs as uid 1000 with no capabilities'
        : (host.userNamespacesError ?? 'unavailable'),
      disables: 'an unprivileged uid inside the sandbox',
      essential: true,
    },
    {
      name: 'cgroups',
      ok: cg.layout !== 'none',
      detail: `${cg.layout}${cg.unifiedRoot ? `, cgroup2 at ${cg.unifiedRoot}` : ''}; controllers: ${cg.controllers.join(', ') || 'none'}`,
      disables: 'CPU, memory and process limits',
      essential: true,
    },
    {
      name: 'native helpers',
      ok: init.ok && launch.ok,
      detail:
        init.ok && launch.ok
          ? `${init.detail}, ${launch.detail}`
          : `${init.ok ? launch.detail : init.detail}`,
      disables: 'seccomp supervision and the sandbox launcher (npm run build)',
      essential: true,
    },
    {
      name: 'root',
      ok: root,
      detail: root ? 'yes' : `uid ${process.getuid?.()}`,
      disables: 'cgroups, the network cordon and eBPF monitoring',
      essential: false,
    },
    {
      name: 'nftables',
      ok: nft.ok,
      detail: nft.ok ? 'nft works' : nft.out || 'nft not found',
      disables: 'the network cordon (sandboxes get loopback only: no egress)',
      essential: false,
    },
    {
      name: 'iproute2',
      ok: ip.ok,
      detail: ip.out,
      disables: 'the network cordon (sandboxes get loopback only: no egress)',
      essential: false,
    },
    {
      name: 'SO_ORIGINAL_DST addon',
      ok: origDst.ok,
      detail: origDst.detail,
      disables: 'the transparent proxy (no egress)',
      essential: false,
    },
    {
      name: 'posix_spawn addon',
      ok: fastSpawn.ok && fastSpawnAvailable(),
      detail: fastSpawn.ok
        ? fastSpawnAvailable()
          ? fastSpawn.detail
          : `${fastSpawn.detail} does not load`
        : fastSpawn.detail,
      disables: 'fast sandbox starts (Node forks instead: 15-30 ms more per sandbox in a server)',
      essential: false,
    },
    {
      name: 'kernel relay addon',
      ok: relay.available,
      detail: relay.available
        ? 'allowed flows are relayed with splice(2) on a native thread'
        : (relay.reason ?? 'unavailable'),
      disables: 'the fast data path: allowed flows are piped through Node (several times slower)',
      essential: false,
    },
    {
      name: 'batch reader addon',
      ok: batchReaderLoads,
      detail: batchReaderLoads
        ? "bpftrace's output is read on a native thread"
        : batchReader.ok
          ? `${batchReader.detail} does not load`
          : batchReader.detail,
      disables: "cheap monitoring: bpftrace's output is read on the JS thread (more CPU per event)",
      essential: false,
    },
    {
      name: 'eBPF (bpftrace)',
      ok: monitor.ebpf,
      detail: monitor.ebpf
        ? `${monitor.bpftrace?.path} ${monitor.bpftrace?.version}, tracefs ${monitor.tracefs}, BTF`
        : monitor.reasons.join('; '),
      disables:
        'exec/open/connect/syscall tracing: the /proc sampler gives what it can and reports say so',
      essential: false,
    },
    {
      name: 'GPU',
      ok: true,
      detail: host.gpuNodes.length
        ? `present: ${host.gpuNodes.join(', ')} (hidden unless devices.gpu: true)`
        : 'no GPU device nodes on this host',
      disables: 'nothing',
      essential: false,
    },
    {
      name: 'tracefs mounted',
      ok:
        existsSync('/sys/kernel/tracing/events') || existsSync('/sys/kernel/debug/tracing/events'),
      detail: monitor.tracefs ?? 'not mounted',
      disables: 'eBPF tracepoints',
      essential: false,
    },
  ];
}

/** Prints the checks; exits 1 when an essential one fails. */
export function doctorAction(opts: { json?: boolean }): void {
  const checks = doctorChecks();
  if (opts.json) process.stdout.write(JSON.stringify(checks, null, 2) + '\n');
  else {
    for (const c of checks) {
      const mark = c.ok
        ? paint.green('ok  ')
        : c.essential
          ? paint.red('FAIL')
          : paint.yellow('off ');
      process.stdout.write(`${mark} ${paint.bold(c.name)}: ${c.detail}\n`);
      if (!c.ok) process.stdout.write(`     disables: ${c.disables}\n`);
    }
  }
  process.exitCode = checks.some((c) => c.essential && !c.ok) ? 1 : 0;
}
