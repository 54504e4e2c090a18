/**
 * NetworkCordon: one per cordon process. Owns the transparent proxy, cordon's DNS server, the
 * shared nft table and a pool of ready sandbox networks; `attach()` hands a sandbox its netns,
 * resolv.conf and proxy env, and maps its veth address back to it for the proxy and the DNS server.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Attribution, EventBus } from '../events/index.js';
import type { Policy } from '../policy/index.js';
import { lookupOriginalDst } from './conntrack.js';
import { DnsServer, type DnsServerHandle } from './dns/index.js';
import { DropPoller } from './drops.js';
import { collectLeftovers } from './leftovers.js';
import type { NetSlot } from './netns.js';
import { addServicePorts, ensureTable, removeServicePorts, type ServicePorts } from './nft.js';
import { SlotPool } from './pool.js';
import { isSynthetic, TransparentProxy, type ProxySandbox } from './proxy.js';

export interface NetworkCordonOptions {
  bus: EventBus;
  /** Ready networks kept in reserve (default 2). */
  poolSize?: number;
  /** Look up the process behind each flow (default true). */
  findPids?: boolean;
  /** Deadline for a silent client's first bytes (default 300 ms). */
  classifyDeadlineMs?: number;
  /** How often dropped packets are read from nft and published as net.drop (default 1000 ms). */
  dropPollMs?: number;
  /** Relay allowed flows in the kernel with splice(2) where the native relay is built (default true). */
  kernelRelay?: boolean;
}

/** What a sandbox needs to join the cordon. */
export interface NetworkAttachment {
  sandboxId: string;
  /** Bind-mounted netns to join (`/run/netns/cordon-<id>`). */
  netnsPath: string;
  netnsName: string;
  /** HTTP(S)_PROXY for proxy-aware tools, pointing at the gateway (the same transparent proxy). */
  env: Record<string, string>;
  /** A file `nameserver <gateway>`, to bind at /etc/resolv.conf in the sandbox. */
  resolvConfPath: string;
  sandboxAddress: string;
  hostAddress: string;
  /** Publishes outstanding drops, removes rules, veth and netns. Idempotent. */
  detach(): Promise<void>;
}

interface Attached {
  sandboxId: string;
  slot: NetSlot;
  policy: Policy;
  attribution: () => Attribution;
  proxySandbox: ProxySandbox;
}

export class NetworkCordon {
  private readonly bySource = new Map<string, Attached>();
  /**
   * The last sandbox detached from each address, until the address is attached again: a
   * connection still in the proxy's backlog when detach stopped waiting for it (on a starved host)
   * is still attributed to the sandbox that made it.
   */
  private readonly detachedBySource = new Map<string, Attached>();
  private readonly dir = readableDir(mkdtempSync(join(tmpdir(), 'cordon-net-')));
  private dns!: DnsServerHandle;
  private proxy!: TransparentProxy;
  private pool!: SlotPool;
  private ports!: ServicePorts;
  private drops!: DropPoller;
  private closed = false;

  private constructor(private readonly options: NetworkCordonOptions) {}

  /**
   * Starts the proxy and DNS server, collects leftovers of crashed cordons, pre-makes networks.
   * @example const cordon = await NetworkCordon.start({ bus });
   *   const net = await cordon.attach('sb1', policy, { sandboxId: 'sb1' });
   */
  static async start(options: NetworkCordonOptions): Promise<NetworkCordon> {
    const cordon = new NetworkCordon(options);
    try {
      await cordon.init();
    } catch (error) {
      await cordon.close().catch(() => undefined);
      throw error;
    }
    return cordon;
  }

  private async init(): Promise<void> {
    const { bus } = this.options;
    await ensureTable();
    await collectLeftovers();
    this.proxy = await TransparentProxy.start({
      bus,
      lookup: (source) =>
        (this.bySource.get(source) ?? this.detachedBySource.get(source))?.proxySandbox,
      findPids: this.options.findPids ?? true,
      classifyDeadlineMs: this.options.classifyDeadlineMs ?? 300,
      kernelRelay: this.options.kernelRelay ?? true,
    });
    this.dns = await DnsServer.start({
      bus,
      host: '0.0.0.0',
      port: 0,
      identify: (source: string) => {
        const a = this.bySource.get(source.replace(/^::ffff:/, ''));
        return a
          ? { sandboxId: a.sandboxId, attribution: a.attribution(), hosts: a.policy.network.hosts }
          : null;
      },
      resolverOf: (source) => {
        const address = source.address.replace(/^::ffff:/, '');
        return this.bySource.has(address)
          ? lookupOriginalDst(source.transport, address, source.port)
          : undefined;
      },
    });
    this.ports = { proxy: this.proxy.port, dnsUdp: this.dns.udpPort, dnsTcp: this.dns.tcpPort };
    await addServicePorts(this.ports);
    this.drops = new DropPoller(bus, this.options.dropPollMs ?? 1000);
    this.pool = new SlotPool({ ports: this.ports, size: this.options.poolSize ?? 2 });
    await this.pool.fill();
  }

  /** Waits until the pool of ready networks is full (benchmarks; start() already fills it). */
  fillPool(): Promise<void> {
    return this.pool.fill();
  }

  /**
   * Whether allowed flows accepted from now on are relayed in the kernel (where the native relay
   * is built) or piped through Node; benchmarks compare both in one run.
   */
  setKernelRelay(on: boolean): void {
    this.proxy.kernelRelay = on;
  }

  /** Allowed flows relayed in the kernel so far, and all allowed flows. */
  get relayStats(): { inKernel: number; allowed: number } {
    return { inKernel: this.proxy.stats.inKernel, allowed: this.proxy.stats.allowed };
  }

  /** The proxy's port (the same for every sandbox; reach it at the sandbox's hostAddress). */
  get proxyPort(): number {
    return this.proxy.port;
  }

  get dnsPorts(): { udp: number; tcp: number } {
    return { udp: this.dns.udpPort, tcp: this.dns.tcpPort };
  }

  async attach(
    sandboxId: string,
    policy: Policy,
    attribution: Attribution | (() => Attribution),
  ): Promise<NetworkAttachment> {
    const slot = await this.pool.take();
    const attributionOf = typeof attribution === 'function' ? attribution : () => attribution;
    const resolvConfPath = join(this.dir, `resolv-${slot.id}.conf`);
    writeFileSync(resolvConfPath, `nameserver ${slot.hostAddress}\noptions attempts:2 timeout:2\n`);
    const attached: Attached = {
      sandboxId,
      slot,
      policy,
      attribution: attributionOf,
      proxySandbox: {
        attribution: attributionOf,
        network: policy.network,
        hostAddress: slot.hostAddress,
        sandboxAddress: slot.sandboxAddress,
        netnsPath: slot.netnsPath,
        nameOf: (address) => (isSynthetic(address) ? this.nameOf(sandboxId, address) : undefined),
      },
    };
    this.forgetDetached(slot.sandboxAddress);
    this.bySource.set(slot.sandboxAddress, attached);
    this.drops.watch(slot.id, attributionOf);
    const proxyUrl = `http://${slot.hostAddress}:${this.proxy.port}`;
    let detaching: Promise<void> | undefined;
    return {
      sandboxId,
      netnsPath: slot.netnsPath,
      netnsName: slot.netnsName,
      env: {
        HTTP_PROXY: proxyUrl,
        HTTPS_PROXY: proxyUrl,
        http_proxy: proxyUrl,
        https_proxy: proxyUrl,
        NO_PROXY: '',
        no_proxy: '',
      },
      resolvConfPath,
      sandboxAddress: slot.sandboxAddress,
      hostAddress: slot.hostAddress,
      detach: () => (detaching ??= this.detach(attached, resolvConfPath)),
    };
  }

  private async detach(attached: Attached, resolvConfPath: string): Promise<void> {
    const address = attached.slot.sandboxAddress;
    // Connections the sandbox made just before it ended may still wait in the proxy's accept
    // backlog (a connect-and-close scan leaves dozens): let them be accepted and published first.
    await this.proxy.settle(address);
    await this.drops.unwatch(attached.slot.id);
    if (this.bySource.get(address) === attached) {
      this.bySource.delete(address);
      this.forgetDetached(address);
      // Its DNS names stay until the address is reused: late flows still show host names.
      this.detachedBySource.set(address, attached);
    } else {
      this.dns.forget(attached.sandboxId);
    }
    rmSync(resolvConfPath, { force: true });
    await this.pool.release(attached.slot);
  }

  /** Drops what was kept of the sandbox last detached from `address`. */
  private forgetDetached(address: string): void {
    const gone = this.detachedBySource.get(address);
    if (!gone) return;
    this.detachedBySource.delete(address);
    this.dns.forget(gone.sandboxId);
  }

  private nameOf(sandboxId: string, address: string): string | undefined {
    return this.dns.namesFor(sandboxId).lookupName(address);
  }

  /** Detaches every sandbox, stops the servers and removes pooled networks and ports. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const a of [...this.bySource.values()]) {
      await this.detach(a, join(this.dir, `resolv-${a.slot.id}.conf`)).catch(() => undefined);
    }
    for (const address of [...this.detachedBySource.keys()]) this.forgetDetached(address);
    this.drops?.close();
    await this.pool?.close();
    await this.proxy?.close();
    await this.dns?.close();
    if (this.ports) await removeServicePorts(this.ports);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Sandboxes run as unprivileged host uids: they must be able to read the resolv.conf bound for them. */
function readableDir(dir: string): string {
  chmodSync(dir, 0o755);
  return dir;
}
