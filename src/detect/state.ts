/**
 * Per-sandbox state the detector keeps so rules can stay pure: the process table, recent flows and
 * DNS queries, CPU samples over sliding windows, whether the agent's command has returned, and the
 * files created since the sandbox started. Bounded in time and size; rules only read it.
 */
import { SANDBOX_INIT_PATH, type CordonEvent, type FlowDecision } from '../events/index.js';
import type { Policy } from '../policy/index.js';

export interface ProcInfo {
  readonly pid: number;
  readonly ppid: number | undefined;
  readonly exe: string;
  readonly argv: readonly string[];
  readonly startTs: number;
  readonly children: readonly number[];
  readonly exitTs: number | undefined;
}

export interface FlowRecord {
  readonly ts: number;
  readonly eventId: string;
  readonly pid: number | undefined;
  readonly exe: string | undefined;
  readonly host: string | undefined;
  readonly address: string;
  readonly port: number;
  readonly protocol: string;
  readonly decision: FlowDecision;
}

export interface DnsRecord {
  readonly ts: number;
  readonly name: string;
  readonly qtype: string;
  readonly tunnelScore: number;
}

export interface FileRecord {
  readonly path: string;
  readonly ts: number;
  readonly pid: number;
  readonly exe: string | undefined;
}

/** CPU over a window ending now; `spanMs` is how much of it the samples cover. */
export interface CpuWindow {
  readonly avgCores: number;
  readonly minCores: number;
  readonly samples: number;
  readonly spanMs: number;
  readonly allAfterCommand: boolean;
  /** Least GPU memory held by the sandbox in the window; 0 when a sample had no GPU figure. */
  readonly minGpuBytes: number;
}

export interface ReadonlyState {
  readonly sandboxId: string;
  readonly policy: Policy | undefined;
  readonly startedAt: number | undefined;
  /** Latest event time seen. */
  readonly now: number;
  readonly commandReturned: boolean;
  process(pid: number): ProcInfo | undefined;
  /** Parent, grandparent, ... (nearest first), at most `max`. */
  ancestors(pid: number, max?: number): ProcInfo[];
  /** Processes with the same parent started within `windowMs` of `pid`, excluding it. */
  siblings(pid: number, windowMs?: number): ProcInfo[];
  /** Live processes whose exe is `exe`. */
  pidsOfExe(exe: string): number[];
  /** Every live process of the agent's (cordon's init left out), oldest first. */
  livePids(): number[];
  /** Flows first seen at or after `sinceTs` (open phase only), oldest first. */
  flows(sinceTs?: number): readonly FlowRecord[];
  flowsOf(pid: number): readonly FlowRecord[];
  /** Denied flows and dropped packets at or after `sinceTs`, oldest first. */
  deniedFlows(sinceTs?: number): readonly FlowRecord[];
  /** The first outside connection a process made (a proxy flow or a traced connect), if any. */
  networkOf(pid: number): { destination: string; eventId: string } | undefined;
  /** Every process seen, exited ones included (bounded). */
  processes(): Iterable<ProcInfo>;
  dns(sinceTs?: number): readonly DnsRecord[];
  cpu(windowMs: number): CpuWindow;
  fileCreated(path: string): FileRecord | undefined;
}

const KEEP_MS = 120_000;
const MAX_RECORDS = 5_000;
const MAX_PROCS = 20_000;
const O_ACCMODE = 3;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;

/** True when a file event creates or changes the file (write, chmod, rename, open for writing). */
export function isWriteAccess(op: string, flags: number | undefined): boolean {
  if (op !== 'open') return op !== 'unlink';
  if (flags === undefined) return false;
  return (flags & O_ACCMODE) !== 0 || (flags & (O_CREAT | O_TRUNC)) !== 0;
}

interface MutableProc {
  pid: number;
  ppid: number | undefined;
  exe: string;
  argv: string[];
  startTs: number;
  children: number[];
  exitTs: number | undefined;
}

interface Sample {
  ts: number;
  cores: number;
  after: boolean;
  /** GPU memory held, when the sandbox's GPU use is accounted. */
  gpuBytes: number | undefined;
}

/** The records at or after `sinceTs`, scanning back from the newest (lists are in time order). */
function tail<T extends { ts: number }>(list: readonly T[], sinceTs: number): readonly T[] {
  let i = list.length;
  while (i > 0 && list[i - 1]!.ts >= sinceTs) i -= 1;
  return i === 0 ? list : list.slice(i);
}

function pruneTimed<T extends { ts: number }>(list: T[], now: number): void {
  let drop = 0;
  while (
    drop < list.length &&
    (list[drop]!.ts < now - KEEP_MS || list.length - drop > MAX_RECORDS)
  ) {
    drop += 1;
  }
  if (drop > 0) list.splice(0, drop);
}

export class SandboxState implements ReadonlyState {
  startedAt: number | undefined;
  now = 0;
  commandReturned = false;
  private readonly procs = new Map<number, MutableProc>();
  private readonly flowList: FlowRecord[] = [];
  private readonly deniedList: FlowRecord[] = [];
  private readonly dnsList: DnsRecord[] = [];
  private readonly samples: Sample[] = [];
  private readonly created = new Map<string, FileRecord>();
  /** Children by parent pid, also for parents the state never saw exec. */
  private readonly byPpid = new Map<number, number[]>();
  private readonly connects = new Map<number, { destination: string; eventId: string }>();

  constructor(
    readonly sandboxId: string,
    readonly policy: Policy | undefined,
  ) {}

  /** Folds one event into the state; called before the rules run on it. */
  apply(event: CordonEvent): void {
    if (Number.isFinite(event.ts) && event.ts > this.now) this.now = event.ts;
    switch (event.kind) {
      case 'process.exec':
        this.onExec(event.pid, event.ppid, event.exe, event.argv, event.ts);
        break;
      case 'process.exit': {
        const p = this.procs.get(event.pid);
        if (p) p.exitTs = event.ts;
        break;
      }
      case 'file.access':
        if (
          event.result === 0 &&
          isWriteAccess(event.op, event.flags) &&
          !this.created.has(event.path)
        ) {
          if (this.created.size >= MAX_RECORDS)
            this.created.delete(this.created.keys().next().value!);
          this.created.set(event.path, {
            path: event.path,
            ts: event.ts,
            pid: event.pid,
            exe: event.exe,
          });
        }
        break;
      case 'net.flow':
        if (event.phase === 'open') {
          const { pid, exe, host, address, port, protocol, decision } = event;
          this.addFlow({
            ts: event.ts,
            eventId: event.id,
            pid,
            exe,
            host,
            address,
            port,
            protocol,
            decision,
          });
        }
        break;
      case 'net.dns':
        this.dnsList.push({
          ts: event.ts,
          name: event.name,
          qtype: event.qtype,
          tunnelScore: event.tunnelScore,
        });
        pruneTimed(this.dnsList, this.now);
        break;
      case 'resource.sample':
        this.samples.push({
          ts: event.ts,
          cores: event.cpuCores,
          after: event.afterCommand,
          gpuBytes: event.gpuMemoryBytes,
        });
        this.commandReturned = event.afterCommand;
        pruneTimed(this.samples, this.now);
        break;
      case 'sandbox.start':
        this.startedAt ??= event.ts;
        break;
      case 'step.start':
        this.commandReturned = false;
        break;
      case 'step.end':
        this.commandReturned = true;
        break;
      case 'syscall':
        this.onSyscall(event.pid, event.syscall, event.args, event.id);
        break;
      case 'net.drop':
        this.addFlow({
          ts: event.ts,
          eventId: event.id,
          pid: undefined,
          exe: undefined,
          host: undefined,
          address: event.address,
          port: event.port ?? 0,
          protocol: event.protocol,
          decision: 'deny',
        });
        break;
      case 'resource.limit':
      case 'sandbox.end':
      case 'finding':
        break;
    }
  }

  private onExec(
    pid: number,
    ppid: number | undefined,
    exe: string,
    argv: string[],
    ts: number,
  ): void {
    const existing = this.procs.get(pid);
    if (existing) {
      // exec replaces the image; the pid and its place in the tree stay.
      existing.exe = exe;
      existing.argv = argv;
      existing.ppid ??= ppid;
      existing.exitTs = undefined;
    } else {
      if (this.procs.size >= MAX_PROCS) this.pruneProcs();
      this.procs.set(pid, { pid, ppid, exe, argv, startTs: ts, children: [], exitTs: undefined });
    }
    const parent = ppid === undefined ? undefined : this.procs.get(ppid);
    if (parent && !parent.children.includes(pid)) parent.children.push(pid);
    if (ppid !== undefined) {
      const kids = this.byPpid.get(ppid) ?? [];
      if (!kids.includes(pid)) kids.push(pid);
      if (kids.length > 256) kids.shift();
      if (!this.byPpid.has(ppid) && this.byPpid.size >= MAX_PROCS)
        this.byPpid.delete(this.byPpid.keys().next().value!);
      this.byPpid.set(ppid, kids);
    }
  }

  private addFlow(flow: FlowRecord): void {
    this.flowList.push(flow);
    pruneTimed(this.flowList, this.now);
    if (flow.decision === 'deny') {
      this.deniedList.push(flow);
      pruneTimed(this.deniedList, this.now);
    }
  }

  private onSyscall(
    pid: number,
    name: string,
    args: Record<string, number | string> | undefined,
    id: string,
  ): void {
    if (name !== 'connect' || !args || this.connects.has(pid)) return;
    const address = String(args.address ?? '');
    const family = String(args.family ?? '');
    // Loopback and unix sockets are the sandbox talking to itself.
    if (
      family === 'unix' ||
      family === '1' ||
      address === '' ||
      /^(127\.|::1$|::ffff:127\.)/.test(address)
    )
      return;
    if (this.connects.size >= MAX_RECORDS) this.connects.delete(this.connects.keys().next().value!);
    this.connects.set(pid, { destination: `${address}:${String(args.port ?? '?')}`, eventId: id });
  }

  private pruneProcs(): void {
    for (const [pid, p] of this.procs) {
      if (p.exitTs !== undefined || this.procs.size > MAX_PROCS / 2) {
        this.procs.delete(pid);
        this.byPpid.delete(pid);
      }
      if (this.procs.size < MAX_PROCS / 2) break;
    }
  }

  process(pid: number): ProcInfo | undefined {
    return this.procs.get(pid);
  }

  ancestors(pid: number, max = 8): ProcInfo[] {
    const out: ProcInfo[] = [];
    let cur = this.procs.get(pid);
    while (cur?.ppid !== undefined && out.length < max) {
      const parent = this.procs.get(cur.ppid);
      if (!parent || out.includes(parent)) break;
      out.push(parent);
      cur = parent;
    }
    return out;
  }

  siblings(pid: number, windowMs = 5_000): ProcInfo[] {
    const me = this.procs.get(pid);
    if (me?.ppid === undefined) return [];
    return (this.byPpid.get(me.ppid) ?? [])
      .filter((c) => c !== pid)
      .map((c) => this.procs.get(c))
      .filter((p): p is MutableProc => !!p && Math.abs(p.startTs - me.startTs) <= windowMs);
  }

  pidsOfExe(exe: string): number[] {
    const out: number[] = [];
    for (const p of this.procs.values())
      if (p.exe === exe && p.exitTs === undefined) out.push(p.pid);
    return out;
  }

  livePids(): number[] {
    const out: number[] = [];
    for (const p of this.procs.values())
      if (p.exitTs === undefined && p.exe !== SANDBOX_INIT_PATH) out.push(p.pid);
    return out;
  }

  flows(sinceTs = -Infinity): readonly FlowRecord[] {
    return tail(this.flowList, sinceTs);
  }

  deniedFlows(sinceTs = -Infinity): readonly FlowRecord[] {
    return tail(this.deniedList, sinceTs);
  }

  flowsOf(pid: number): readonly FlowRecord[] {
    return this.flowList.filter((f) => f.pid === pid);
  }

  networkOf(pid: number): { destination: string; eventId: string } | undefined {
    const flow = this.flowList.find((f) => f.pid === pid && f.ts > 0);
    if (flow)
      return { destination: `${flow.host ?? flow.address}:${flow.port}`, eventId: flow.eventId };
    return this.connects.get(pid);
  }

  processes(): Iterable<ProcInfo> {
    return this.procs.values();
  }

  dns(sinceTs = -Infinity): readonly DnsRecord[] {
    return tail(this.dnsList, sinceTs);
  }

  cpu(windowMs: number): CpuWindow {
    const inWindow = tail(this.samples, this.now - windowMs + 1);
    if (inWindow.length === 0) {
      return {
        avgCores: 0,
        minCores: 0,
        samples: 0,
        spanMs: 0,
        allAfterCommand: false,
        minGpuBytes: 0,
      };
    }
    let sum = 0;
    let min = Infinity;
    let minGpu = Infinity;
    for (const s of inWindow) {
      const c = Number.isFinite(s.cores) ? s.cores : 0;
      sum += c;
      min = Math.min(min, c);
      minGpu = Math.min(minGpu, s.gpuBytes ?? 0);
    }
    return {
      avgCores: sum / inWindow.length,
      minCores: min,
      samples: inWindow.length,
      spanMs: this.now - inWindow[0]!.ts,
      allAfterCommand: inWindow.every((s) => s.after),
      minGpuBytes: minGpu,
    };
  }

  fileCreated(path: string): FileRecord | undefined {
    return this.created.get(path);
  }
}
