/**
 * The transparent proxy: one TCP listener for every sandbox. nftables redirects each sandbox's TCP
 * here; the source address says which sandbox, SO_ORIGINAL_DST where it was going, cordon's DNS
 * which name that address stands for, the first bytes which protocol. A denied flow is reset:
 * no upstream connection is ever opened and zero bytes leave. An allowed one is spliced and
 * counted. Proxy-aware tools reach the same listener at the sandbox's gateway (HTTP CONNECT or
 * absolute-URI requests); a tunnel's bytes are classified again after the CONNECT.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import type { Attribution, EventBus, NetFlowEvent } from '../events/index.js';
import type { Policy } from '../policy/index.js';
import type { Classification } from './classify/index.js';
import { readFirstBytes, type FirstBytes } from './first-bytes.js';
import { originalDst } from './orig-dst.js';
import { establishedFrom, findSocketOwner, type SocketOwner } from './pid-lookup.js';
import { decideFlow, ipv4ToInt, type FlowVerdict } from './policy-match.js';
import { connectUpstream, splice, type SpliceHandle, type SpliceStats } from './splice.js';

/** What the proxy needs to know about the sandbox a connection came from. */
export interface ProxySandbox {
  attribution: () => Attribution;
  network: Policy['network'];
  hostAddress: string;
  sandboxAddress: string;
  netnsPath: string;
  /** The name cordon's DNS answered with this synthetic address, if any. */
  nameOf(address: string): string | undefined;
}

export interface ProxyOptions {
  bus: EventBus;
  /** The sandbox behind a source address, or undefined (the connection is then reset). */
  lookup(sourceAddress: string): ProxySandbox | undefined;
  host?: string;
  port?: number;
  /** How long to wait for a silent client's first bytes (server-speaks-first protocols). */
  classifyDeadlineMs?: number;
  /** Real address of an allowed name that `network.hosts` does not map. */
  resolve?: (name: string) => Promise<string>;
  /** Look up the sandbox process behind each flow (best effort, off the data path). */
  findPids?: boolean;
  /** Relay allowed flows in the kernel (splice) when the native relay is available (default). */
  kernelRelay?: boolean;
}

interface Target {
  host?: string | undefined;
  /** The address the sandbox asked for (synthetic for names). */
  address: string;
  port: number;
  via?: 'transparent' | 'connect' | 'absolute-uri';
}

const SYNTHETIC_NET = ipv4ToInt('198.18.0.0');
const PROBE_PROTOCOLS = ['tls', 'http', 'unknown', 'ssh', 'socks5', 'stratum', 'stratum2'];
/** Bound on the best-effort process lookup; a denied flow waits at most this long for it. */
const OWNER_LOOKUP_MS = 250;
const ESTABLISHED = 'HTTP/1.1 200 Connection established\r\n\r\n';

export function isSynthetic(address: string): boolean {
  return isIP(address) === 4 && (ipv4ToInt(address) & 0xfffe0000) >>> 0 === SYNTHETIC_NET;
}

let flowCounter = 0;

export class TransparentProxy {
  /** Flows seen, by decision, and allowed flows relayed in the kernel (for tests and benchmarks). */
  readonly stats = { allowed: 0, denied: 0, open: 0, inKernel: 0 };
  private readonly sockets = new Set<Socket>();
  /** Per source address: work that may still publish a flow (handling, then the open event). */
  private readonly pending = new Map<string, Set<Promise<unknown>>>();
  private readonly splices = new Set<SpliceHandle>();
  /** Relay flows allowed from now on in the kernel where the native relay is available. */
  kernelRelay: boolean;

  private constructor(
    private readonly server: Server,
    private readonly options: ProxyOptions,
  ) {
    this.kernelRelay = options.kernelRelay ?? true;
  }

  /** @example const proxy = await TransparentProxy.start({ bus, lookup }); proxy.port */
  static async start(options: ProxyOptions): Promise<TransparentProxy> {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
    const proxy = new TransparentProxy(server, options);
    server.on('connection', (socket) => proxy.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: options.host ?? '0.0.0.0', port: options.port ?? 0 }, () => resolve());
    });
    return proxy;
  }

  get port(): number {
    const addr = this.server.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  async close(): Promise<void> {
    for (const s of this.splices) s.destroy();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Resolves once every connection from `address` that the kernel has already established has been
   * accepted and its open event published, or after `timeoutMs`; true when settled. A sandbox that
   * has ended makes no new connections, so after this its flows are all on the bus.
   */
  async settle(address: string, timeoutMs = 1000): Promise<boolean> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const accepted = new Set<number>();
      for (const s of this.sockets)
        if (sourceOf(s) === address && s.remotePort !== undefined) accepted.add(s.remotePort);
      const queued = establishedFrom(address, this.port).filter((p) => !accepted.has(p));
      const work = [...(this.pending.get(address) ?? [])];
      if (queued.length === 0 && work.length === 0) return true;
      const left = end - performance.now();
      if (left <= 0) return false;
      const tick = new Promise((resolve) => setTimeout(resolve, Math.min(5, left)));
      // Queued connections are only seen by looking again; pending work also says when it is done.
      await (queued.length > 0 ? tick : Promise.race([tick, Promise.allSettled(work)]));
    }
  }

  private track(address: string, work: Promise<unknown>): void {
    let set = this.pending.get(address);
    if (!set) this.pending.set(address, (set = new Set()));
    set.add(work);
    void work.finally(() => {
      set.delete(work);
      if (set.size === 0 && this.pending.get(address) === set) this.pending.delete(address);
    });
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    client.on('error', () => undefined); // reported through the flow's close event
    this.track(
      sourceOf(client),
      this.handle(client).catch(() => client.destroy()),
    );
  }

  private async handle(client: Socket): Promise<void> {
    const startedAt = performance.now();
    const source = sourceOf(client);
    const sb = this.options.lookup(source);
    if (!sb) return void client.resetAndDestroy();
    let dst;
    try {
      dst = originalDst(client);
    } catch {
      return void client.resetAndDestroy();
    }
    const owner = this.ownerOf(sb, client);
    const deadlineMs = this.options.classifyDeadlineMs ?? 300;
    const first = await readFirstBytes(client, { deadlineMs });
    const ctx: FlowContext = { sb, client, startedAt, owner, flowId: nextFlowId() };

    if (dst.address === sb.hostAddress && dst.port === this.port) {
      return this.handleExplicit(ctx, first, deadlineMs);
    }
    const host = isSynthetic(dst.address) ? sb.nameOf(dst.address) : undefined;
    return this.decideAndSplice(ctx, { host, address: dst.address, port: dst.port }, first);
  }

  /** A proxy-aware tool talking to the proxy itself: CONNECT or an absolute-URI request. */
  private async handleExplicit(
    ctx: FlowContext,
    first: FirstBytes,
    deadlineMs: number,
  ): Promise<void> {
    const { cls } = first;
    if (cls.protocol === 'http-connect' && cls.connectTarget) {
      const target = this.proxyTarget(
        ctx.sb,
        cls.connectTarget.host,
        cls.connectTarget.port,
        'connect',
      );
      const anyAllowed = PROBE_PROTOCOLS.some(
        (protocol) => this.verdict(ctx.sb, target, protocol, target.address).decision === 'allow',
      );
      // Even a tunnel to a destination nothing allows is answered as established: what the client
      // sends through it names the flow (stratum inside CONNECT is mining, not just denied egress).
      // No upstream is opened either way; a denied tunnel is reset after its first bytes.
      const headerLength = Number(cls.details.headerLength ?? first.buf.length);
      ctx.client.write(ESTABLISHED);
      const tunnelled = await readFirstBytes(ctx.client, {
        deadlineMs,
        initial: first.buf.subarray(headerLength),
      });
      if (!anyAllowed && tunnelled.buf.length === 0) {
        // A silent tunnel is known only by its CONNECT.
        const verdict = this.verdict(ctx.sb, target, 'http-connect', target.address);
        this.publishOpen(ctx, target, cls, verdict);
        return void ctx.client.resetAndDestroy();
      }
      return this.decideAndSplice(ctx, target, tunnelled, Buffer.byteLength(ESTABLISHED));
    }
    const targetHost = cls.details.targetHost;
    if (cls.protocol === 'http' && typeof targetHost === 'string') {
      const port = Number(cls.details.targetPort ?? 80);
      const target = this.proxyTarget(ctx.sb, targetHost, port, 'absolute-uri');
      return this.decideAndSplice(ctx, target, { ...first, buf: toOriginForm(first.buf) });
    }
    // Anything else sent to the gateway itself is a flow to a cordon veth: denied by a built-in rule.
    return this.decideAndSplice(ctx, { address: ctx.sb.hostAddress, port: this.port }, first);
  }

  private proxyTarget(
    sb: ProxySandbox,
    hostOrIp: string,
    port: number,
    via: Target['via'],
  ): Target {
    if (isIP(hostOrIp)) {
      return {
        host: isSynthetic(hostOrIp) ? sb.nameOf(hostOrIp) : undefined,
        address: hostOrIp,
        port,
        via,
      };
    }
    return { host: hostOrIp, address: hostOrIp, port, via };
  }

  private verdict(sb: ProxySandbox, t: Target, protocol: string, address: string): FlowVerdict {
    return decideFlow({ host: t.host, address, port: t.port, protocol }, sb.network);
  }

  private async decideAndSplice(
    ctx: FlowContext,
    target: Target,
    first: FirstBytes,
    clientBytesBefore = 0,
  ): Promise<void> {
    const { sb, client } = ctx;
    const protocol = first.cls.protocol;
    const mapped = target.host ? sb.network.hosts[target.host] : undefined;
    let verdict = this.verdict(sb, target, protocol, mapped ?? target.address);
    let upstreamAddress = mapped ?? (target.host ? undefined : target.address);
    if (verdict.decision === 'allow' && upstreamAddress === undefined && target.host) {
      // Resolve only names the policy allows: a denied name must not even cause a lookup outside.
      upstreamAddress = await (this.options.resolve ?? defaultResolve)(target.host).catch(
        () => undefined,
      );
      if (upstreamAddress) verdict = this.verdict(sb, target, protocol, upstreamAddress);
    }
    if (verdict.decision === 'allow' && upstreamAddress && isSynthetic(upstreamAddress)) {
      verdict = { decision: 'deny', rule: 'builtin:synthetic-address' };
    }
    if (verdict.decision === 'deny') {
      // Keep the (silent) connection until the owner is known: once reset, its socket is gone.
      await ctx.owner;
    }
    this.publishOpen(ctx, target, first.cls, verdict, upstreamAddress);
    if (verdict.decision === 'deny' || !upstreamAddress || client.destroyed) {
      if (verdict.decision === 'allow')
        this.publishClose(ctx, target, first.cls, verdict, {
          bytesOut: 0,
          bytesIn: 0,
          durationMs: Math.round(performance.now() - ctx.startedAt),
          error: upstreamAddress ? 'client closed' : `cannot resolve ${target.host}`,
        });
      return void client.resetAndDestroy();
    }
    let upstream: Socket;
    try {
      upstream = await connectUpstream(upstreamAddress, target.port);
    } catch (error) {
      client.resetAndDestroy();
      this.publishClose(ctx, target, first.cls, verdict, {
        bytesOut: 0,
        bytesIn: 0,
        durationMs: Math.round(performance.now() - ctx.startedAt),
        error: (error as Error).message,
      });
      return;
    }
    this.sockets.add(upstream);
    upstream.once('close', () => this.sockets.delete(upstream));
    this.stats.open += 1;
    const handle = splice(
      client,
      upstream,
      first.buf,
      ctx.startedAt,
      (stats) => {
        this.stats.open -= 1;
        this.splices.delete(handle);
        this.publishClose(ctx, target, first.cls, verdict, stats);
      },
      { clientBytesBefore, kernel: this.kernelRelay },
    );
    this.splices.add(handle);
    if (handle.inKernel) this.stats.inKernel += 1;
  }

  private ownerOf(sb: ProxySandbox, client: Socket): Promise<SocketOwner | undefined> {
    if (this.options.findPids === false) return Promise.resolve(undefined);
    const timeout = new Promise<undefined>((r) =>
      setTimeout(() => r(undefined), OWNER_LOOKUP_MS).unref(),
    );
    const lookup = findSocketOwner(sb.netnsPath, sb.sandboxAddress, client.remotePort ?? 0).catch(
      () => undefined,
    );
    return Promise.race([lookup, timeout]);
  }

  private publishOpen(
    ctx: FlowContext,
    target: Target,
    cls: Classification,
    verdict: FlowVerdict,
    upstreamAddress?: string,
  ): void {
    if (verdict.decision === 'allow') this.stats.allowed += 1;
    else this.stats.denied += 1;
    const base = flowEvent(ctx, target, cls, verdict, 'open');
    if (upstreamAddress && upstreamAddress !== target.address) {
      base.details = { ...base.details, upstreamAddress };
    }
    // The owner lookup runs beside the decision; the event waits for it, the bytes never do.
    this.track(
      ctx.sb.sandboxAddress,
      ctx.owner.then((owner) => this.options.bus.publish({ ...base, ...ownerFields(owner) })),
    );
  }

  private publishClose(
    ctx: FlowContext,
    target: Target,
    cls: Classification,
    verdict: FlowVerdict,
    stats: SpliceStats,
  ): void {
    const base = flowEvent(ctx, target, cls, verdict, 'close');
    base.bytesOut = stats.bytesOut;
    base.bytesIn = stats.bytesIn;
    base.durationMs = stats.durationMs;
    if (stats.error) base.details = { ...base.details, error: stats.error };
    void ctx.owner.then((owner) => this.options.bus.publish({ ...base, ...ownerFields(owner) }));
  }
}

/** A client socket's IPv4 source address. */
function sourceOf(socket: Socket): string {
  return (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

interface FlowContext {
  sb: ProxySandbox;
  client: Socket;
  startedAt: number;
  owner: Promise<SocketOwner | undefined>;
  flowId: string;
}

type FlowEventInput = Omit<NetFlowEvent, 'id' | 'ts'>;

function flowEvent(
  ctx: FlowContext,
  target: Target,
  cls: Classification,
  verdict: FlowVerdict,
  phase: 'open' | 'close',
): FlowEventInput {
  const details: Record<string, unknown> = { ...cls.details };
  if (cls.alpn) details.alpn = cls.alpn;
  if (cls.method) details.method = cls.method;
  if (cls.path) details.path = cls.path.slice(0, 512);
  if (cls.sshVersion) details.sshVersion = cls.sshVersion;
  if (cls.stratumMethod) details.stratumMethod = cls.stratumMethod;
  if (cls.connectTarget) details.connectTarget = cls.connectTarget;
  if (cls.websocket) details.websocket = cls.websocket;
  if (target.via && target.via !== 'transparent') details.via = target.via;
  return {
    kind: 'net.flow',
    ...ctx.sb.attribution(),
    flowId: ctx.flowId,
    host: target.host,
    address: target.address,
    port: target.port,
    protocol: cls.protocol,
    sni: cls.sni,
    httpHost: cls.httpHost,
    details,
    decision: verdict.decision,
    rule: verdict.rule,
    bytesOut: 0,
    bytesIn: 0,
    durationMs: Math.round(performance.now() - ctx.startedAt),
    phase,
  };
}

function ownerFields(owner: SocketOwner | undefined): { pid?: number; exe?: string } {
  return owner ? { pid: owner.pid, ...(owner.exe ? { exe: owner.exe } : {}) } : {};
}

function nextFlowId(): string {
  flowCounter += 1;
  return `f${process.pid.toString(36)}-${flowCounter.toString(36)}`;
}

async function defaultResolve(name: string): Promise<string> {
  return (await dnsLookup(name, { family: 4 })).address;
}

/** `GET http://host:port/p HTTP/1.1` -> `GET /p HTTP/1.1`: origin servers expect the origin form. */
export function toOriginForm(buf: Buffer): Buffer {
  const nl = buf.indexOf(0x0a);
  if (nl < 0) return buf;
  const line = buf.subarray(0, nl).toString('latin1');
  const m = /^([A-Z][A-Z0-9_-]*) [a-z][a-z0-9+.-]*:\/\/[^/\s]*(\/\S*)? (HTTP\/\d\.\d\r?)$/i.exec(
    line,
  );
  if (!m) return buf;
  return Buffer.concat([Buffer.from(`${m[1]} ${m[2] ?? '/'} ${m[3]}`, 'latin1'), buf.subarray(nl)]);
}
