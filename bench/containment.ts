/**
 * Containment latency, figure (9): from a miner's first stratum byte or from the exec of a process
 * named xmrig to the moment that process is gone from /proc (or a zombie), with the real runtime:
 * network cordon, eBPF monitor, detector, default policy. The start is taken inside the sandbox
 * (bash's $EPOCHREALTIME, no process spawned) just before the script writes the stratum line or
 * execs the miner, so the time the event took to reach cordon counts. The trigger event (the
 * proxy's flow event, the monitor's exec event) only names the pid to watch. Runs inside
 * scripts/isolated.sh: it creates netns and veths.
 */
import { readFileSync } from 'node:fs';
import type { CordonEvent } from '../src/events/index.js';
import { CordonRuntime } from '../src/runtime/index.js';
import type { Sandbox } from '../src/sandbox/index.js';
import { stats, type BenchOptions, type Row } from './harness.js';

const STRATUM = '{"id":1,"method":"mining.subscribe","params":["xmrig/6.21"]}';
const GIVE_UP_MS = 3000;

// bash opens the socket, says when, sends one stratum line, then becomes `sleep` holding it: one
// process that does not exit on its own when the proxy closes the flow, so only the kill can end it.
const STRATUM_MINER = `exec 3<>/dev/tcp/pool.rogue.test/3333; echo $EPOCHREALTIME; printf '%s\\n' '${STRATUM}' >&3; exec sleep 20`;
// The name is assembled at run time: bash's own argv must not say xmrig, or bash is killed first.
const NAMED_MINER =
  'n=xm; n=${n}rig; cp /bin/sleep /tmp/$n && echo $EPOCHREALTIME && exec /tmp/$n 20';

const now = (): number => performance.timeOrigin + performance.now();

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Resolves with the time `pid` was seen gone (polled every millisecond), or null after GIVE_UP_MS. */
function gone(pid: number): Promise<number | null> {
  const since = now();
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (!alive(pid)) {
        clearInterval(timer);
        resolve(now());
      } else if (now() - since > GIVE_UP_MS) {
        clearInterval(timer);
        resolve(null);
      }
    }, 1);
  });
}

/** The pid to watch, from the event that says the miner started. */
type Trigger = (e: CordonEvent) => number | null;

const stratumTrigger: Trigger = (e) =>
  e.kind === 'net.flow' && e.phase === 'open' && e.protocol.startsWith('stratum') && e.pid
    ? e.pid
    : null;

const xmrigTrigger: Trigger = (e) =>
  e.kind === 'process.exec' && e.exe.endsWith('/xmrig') ? e.pid : null;

async function trial(
  rt: CordonRuntime,
  sb: Sandbox,
  script: string,
  trigger: Trigger,
): Promise<number | null> {
  let goneAt: Promise<number | null> | undefined;
  const off = rt.bus.subscribe(
    (e) => {
      const pid = goneAt ? null : trigger(e);
      if (pid) goneAt = gone(pid);
    },
    { filter: (e) => e.sandboxId === sb.sandboxId },
  );
  try {
    const result = await sb.exec(['bash', '-c', script], { timeoutMs: 25_000 });
    // $EPOCHREALTIME: seconds since the epoch, with microseconds.
    const startedAt = Number(result.stdout?.trim().split('\n')[0]) * 1000;
    const end = goneAt ? await goneAt : null;
    return end !== null && Number.isFinite(startedAt) ? end - startedAt : null;
  } finally {
    off();
  }
}

/**
 * @example const rows = await benchContainment({ short: true }); // inside scripts/isolated.sh
 */
export async function benchContainment(options: BenchOptions = {}): Promise<Row[]> {
  if (process.env.CORDON_ISOLATED !== '1') {
    throw new Error('run the containment benchmark inside scripts/isolated.sh (it creates netns)');
  }
  const trials = options.short ? 3 : 60;
  const rt = await CordonRuntime.start({ network: 'cordon', monitor: 'ebpf' });
  const rows: Row[] = [];
  try {
    const sb = await rt.createSandbox();
    try {
      const cases = [
        {
          id: 'stratum',
          what: "a miner's first stratum byte",
          script: STRATUM_MINER,
          t: stratumTrigger,
        },
        {
          id: 'xmrig-exec',
          what: 'the exec of a process named xmrig',
          script: NAMED_MINER,
          t: xmrigTrigger,
        },
      ];
      for (const c of cases) {
        const times: number[] = [];
        let missed = 0;
        for (let i = 0; i < trials; i++) {
          const ms = await trial(rt, sb, c.script, c.t);
          if (ms === null) missed += 1;
          else times.push(ms);
        }
        rows.push({
          id: `containment.${c.id}`,
          benchmark: `containment: from ${c.what} to its process gone (p99 = max of ${trials})`,
          unit: 'ms',
          better: 'lower',
          cordon: times.length ? stats(times) : null,
          peers: {},
          target: 'p99 < 50 ms',
          note:
            (missed ? `${missed}/${trials} not contained within ${GIVE_UP_MS} ms; ` : '') +
            'peers neither see nor stop it (see the capability matrix)',
        });
      }
    } finally {
      await sb.destroy();
    }
  } finally {
    await rt.close();
  }
  return rows;
}
