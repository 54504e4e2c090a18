/**
 * cordon's DNS server, over UDP and TCP, shared by every sandbox. A gets the sandbox's synthetic
 * address for the name (even for names the policy will deny: the later connection is then known
 * by name); AAAA gets NOERROR with no answers (IPv6 is dropped in the sandbox); every other type is
 * REFUSED. Each query is scored for tunnelling and published as a `net.dns` event. Queries from
 * unknown sources are REFUSED and recorded; unparseable packets are dropped and counted.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Attribution, DnsQueryEvent, EventBus, FlowDecision } from '../../events/index.js';
import { SyntheticAddresses } from './synthetic.js';
import { scoreQuery, ZoneHistory } from './tunnel-score.js';
import {
  buildResponse,
  frameTcp,
  ipv4Bytes,
  parseMessage,
  QTYPE,
  qtypeName,
  RCODE,
  TcpDeframer,
  type AnswerSpec,
  type DnsQuestion,
} from './wire.js';

/** Fresh ephemeral UDP ports tried for one that TCP can share before the two part ways. */
const SHARED_PORT_ATTEMPTS = 16;

export interface DnsSource {
  address: string;
  port: number;
  transport: 'udp' | 'tcp';
}

/** Who is asking: the sandbox behind a source address, as NetworkCordon knows it. */
export interface DnsIdentity {
  sandboxId: string;
  attribution: Attribution;
  /** `network.hosts` of the sandbox's policy; these names still get synthetic answers. */
  hosts: Record<string, string>;
}

export interface DnsServerOptions {
  bus: EventBus;
  /** Address to bind, e.g. the host side of the veths or 127.0.0.1 in tests. */
  host: string;
  /** 0 = ephemeral; UDP and TCP then share one port when it is free for both. */
  port: number;
  identify: (srcAddr: string, source: DnsSource) => DnsIdentity | null;
  /** The resolver the program addressed (e.g. from conntrack); default: this server. */
  resolverOf?: (source: DnsSource) => string | undefined;
  /** TTL of synthetic answers, seconds (default 300: the mapping never changes). */
  ttlSeconds?: number;
  /** Distinct names one sandbox may resolve (default 65534). */
  maxNamesPerSandbox?: number;
  /** TCP connections idle this long are closed (default 10 s). */
  tcpIdleMs?: number;
}

export interface DnsServerStats {
  queries: number;
  answered: number;
  refused: number;
  /** Packets that did not parse as a DNS query: dropped without a reply. */
  malformed: number;
  /** Queries dropped because a callback (identify, resolverOf) or the handler threw. */
  errors: number;
}

export interface DnsServerHandle {
  udpPort: number;
  tcpPort: number;
  /** The sandbox's name <-> synthetic address table (created empty if it never asked). */
  namesFor(sandboxId: string): SyntheticAddresses;
  /** Drops a detached sandbox's tables. */
  forget(sandboxId: string): void;
  stats(): DnsServerStats;
  close(): Promise<void>;
}

interface SandboxState {
  names: SyntheticAddresses;
  history: ZoneHistory;
}

export class DnsServer implements DnsServerHandle {
  udpPort = 0;
  tcpPort = 0;
  private readonly sandboxes = new Map<string, SandboxState>();
  private readonly counters: DnsServerStats = {
    queries: 0,
    answered: 0,
    refused: 0,
    malformed: 0,
    errors: 0,
  };
  private readonly tcpSockets = new Set<net.Socket>();
  private readonly unknownHistory = new ZoneHistory();
  private udp!: dgram.Socket;
  private udpName = '';
  private tcpName = '';
  private readonly ttl: number;
  private tcp!: net.Server;

  private constructor(private readonly opts: DnsServerOptions) {
    this.ttl = opts.ttlSeconds ?? 300;
  }

  /**
   * @example
   * const dns = await DnsServer.start({ bus, host: '127.0.0.1', port: 0, identify: () => ({
   *   sandboxId: 'sb1', attribution: { sandboxId: 'sb1' }, hosts: {} }) });
   * // dig @127.0.0.1 -p ${dns.udpPort} pool.rogue.test  ->  198.18.0.1
   */
  static async start(opts: DnsServerOptions): Promise<DnsServer> {
    const server = new DnsServer(opts);
    await server.listen();
    return server;
  }

  private async listen(): Promise<void> {
    // With an ephemeral port, the kernel picks UDP's port without looking at TCP; another
    // process may hold it for TCP. Try a few fresh UDP ports for one both can share (one port
    // is what a person types into dig), then settle for separate ones: cordon redirects each
    // transport to its own port anyway.
    const closeUdp = () => new Promise<void>((resolve) => this.udp.close(() => resolve()));
    for (let attempt = 1; ; attempt++) {
      await this.bindUdp();
      this.tcp = net.createServer((sock) => this.serveTcp(sock));
      this.tcp.maxConnections = 512;
      try {
        await this.listenTcp(this.udpPort);
        break;
      } catch (error) {
        if (this.opts.port !== 0) {
          await closeUdp(); // a fixed port taken for TCP: fail, holding nothing
          throw error;
        }
        if (attempt >= SHARED_PORT_ATTEMPTS) {
          await this.listenTcp(0);
          break;
        }
        await closeUdp();
      }
    }
    this.tcpPort = (this.tcp.address() as net.AddressInfo).port;
    this.udpName = `${this.opts.host}:${this.udpPort}/udp`;
    this.tcpName = `${this.opts.host}:${this.tcpPort}/tcp`;
  }

  private async bindUdp(): Promise<void> {
    this.udp = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
    this.udp.on('message', (msg, rinfo) => {
      const source: DnsSource = { address: rinfo.address, port: rinfo.port, transport: 'udp' };
      const reply = this.handle(msg, source);
      if (reply) this.udp.send(reply, rinfo.port, rinfo.address);
    });
    this.udp.on('error', () => undefined); // ICMP port unreachable on send etc.: never fatal
    await new Promise<void>((resolve, reject) => {
      this.udp.once('error', reject);
      this.udp.bind(this.opts.port, this.opts.host, () => {
        this.udp.off('error', reject);
        resolve();
      });
    });
    this.udpPort = this.udp.address().port;
  }

  private listenTcp(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.tcp.once('error', reject);
      this.tcp.listen(port, this.opts.host, () => {
        this.tcp.off('error', reject);
        resolve();
      });
    });
  }

  private serveTcp(sock: net.Socket): void {
    this.tcpSockets.add(sock);
    sock.setNoDelay(true);
    sock.setTimeout(this.opts.tcpIdleMs ?? 10_000, () => sock.destroy());
    sock.on('close', () => this.tcpSockets.delete(sock));
    sock.on('error', () => sock.destroy());
    const deframer = new TcpDeframer();
    const source: DnsSource = {
      address: sock.remoteAddress?.replace(/^::ffff:/, '') ?? '',
      port: sock.remotePort ?? 0,
      transport: 'tcp',
    };
    sock.on('data', (chunk: Buffer) => {
      for (const msg of deframer.push(chunk)) {
        const reply = this.handle(msg, source);
        if (reply) sock.write(frameTcp(reply));
      }
    });
  }

  private state(sandboxId: string): SandboxState {
    let s = this.sandboxes.get(sandboxId);
    if (!s) {
      s = {
        names: new SyntheticAddresses(sandboxId, this.opts.maxNamesPerSandbox),
        history: new ZoneHistory(),
      };
      this.sandboxes.set(sandboxId, s);
    }
    return s;
  }

  /** One query in, one reply out (or undefined: dropped). Never throws. */
  handle(raw: Buffer, source: DnsSource): Buffer | undefined {
    try {
      return this.answer(raw, source);
    } catch {
      // A bug or a throwing callback must cost one query, never the server.
      this.counters.errors++;
      return undefined;
    }
  }

  private answer(raw: Buffer, source: DnsSource): Buffer | undefined {
    const parsed = parseMessage(raw);
    if (!parsed.ok || parsed.message.qr) {
      this.counters.malformed++;
      return undefined;
    }
    this.counters.queries++;
    const query = parsed.message;
    let edns = false;
    for (const r of query.additionals) if (r.type === QTYPE.OPT) edns = true;
    const q = query.questions[0];
    if (!q || query.questions.length > 1 || query.opcode !== 0) {
      this.counters.refused++;
      const rcode = query.opcode !== 0 ? RCODE.NOTIMP : RCODE.FORMERR;
      return buildResponse(raw, query, { rcode, edns });
    }
    let identity: DnsIdentity | null = null;
    try {
      identity = this.opts.identify(source.address, source);
    } catch {
      identity = null;
    }
    if (!identity) {
      const score = scoreQuery(q.name, q.type, this.unknownHistory);
      this.record(source, { sandboxId: `unknown:${source.address}` }, q, 'deny', score);
      this.counters.refused++;
      return buildResponse(raw, query, { rcode: RCODE.REFUSED, edns });
    }
    const st = this.state(identity.sandboxId);
    const score = scoreQuery(q.name, q.type, st.history);
    const inClass = q.class === 1 || q.class === 255;
    if (inClass && q.type === QTYPE.A && q.name !== '') {
      let ip: string;
      try {
        ip = st.names.addressFor(q.name);
      } catch {
        this.record(source, identity.attribution, q, 'deny', score);
        this.counters.refused++;
        return buildResponse(raw, query, { rcode: RCODE.SERVFAIL, edns });
      }
      this.record(source, identity.attribution, q, 'allow', score, ip);
      this.counters.answered++;
      const answer: AnswerSpec = { type: QTYPE.A, ttl: this.ttl, data: ipv4Bytes(ip) };
      return buildResponse(raw, query, { rcode: RCODE.NOERROR, answers: [answer], edns });
    }
    if (inClass && q.type === QTYPE.AAAA) {
      this.record(source, identity.attribution, q, 'allow', score);
      this.counters.answered++;
      return buildResponse(raw, query, { rcode: RCODE.NOERROR, edns });
    }
    this.record(source, identity.attribution, q, 'deny', score);
    this.counters.refused++;
    return buildResponse(raw, query, { rcode: RCODE.REFUSED, edns });
  }

  private record(
    source: DnsSource,
    attribution: Attribution,
    q: DnsQuestion,
    decision: FlowDecision,
    tunnelScore: number,
    answer?: string,
  ): void {
    const resolver =
      this.opts.resolverOf?.(source) ?? (source.transport === 'udp' ? this.udpName : this.tcpName);
    this.opts.bus.publish<DnsQueryEvent>({
      kind: 'net.dns',
      sandboxId: attribution.sandboxId,
      episodeId: attribution.episodeId,
      stepId: attribution.stepId,
      name: q.name,
      qtype: qtypeName(q.type),
      answer,
      decision,
      tunnelScore,
      resolver,
    });
  }

  namesFor(sandboxId: string): SyntheticAddresses {
    return this.state(sandboxId).names;
  }

  forget(sandboxId: string): void {
    this.sandboxes.delete(sandboxId);
  }

  stats(): DnsServerStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    for (const s of this.tcpSockets) s.destroy();
    await Promise.all([
      new Promise<void>((resolve) => this.udp.close(() => resolve())),
      new Promise<void>((resolve) => this.tcp.close(() => resolve())),
    ]);
  }
}
