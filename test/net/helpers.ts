/** Fixtures for the network cordon's integration tests: clients run inside a sandbox's netns. */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { readdirSync } from 'node:fs';
import type { CordonEvent, NetFlowEvent } from '../../src/events/index.js';
import type { NetworkAttachment } from '../../src/net/cordon.js';
import { listVeths } from '../../src/net/leftovers.js';
import { runTool, type ToolResult } from '../../src/net/tools.js';

export const ISOLATED = process.env.CORDON_ISOLATED === '1';
export const SKIP_REASON =
  'needs scripts/isolated.sh (CORDON_ISOLATED=1): creates netns, veths and nft rules';

/** Runs a shell command in the sandbox's netns with its resolv.conf bound, as the sandbox would. */
export function inNetns(
  att: NetworkAttachment,
  cmd: string,
  env: Record<string, string> = {},
): Promise<ToolResult> {
  const exports = Object.entries(env)
    .map(([k, v]) => `export ${k}='${v}';`)
    .join(' ');
  const script = `mount --bind ${att.resolvConfPath} /etc/resolv.conf && ${exports} ${cmd}`;
  return runTool('timeout', [
    '20',
    'ip',
    'netns',
    'exec',
    att.netnsName,
    'unshare',
    '-m',
    'sh',
    '-c',
    script,
  ]);
}

/** A TCP listener that records what reaches it (it must stay at zero for denied flows). */
export interface CountingServer {
  server: Server;
  port: number;
  connections: number;
  bytes: number;
  close(): Promise<void>;
}

export async function countingServer(port: number, host = '127.0.0.1'): Promise<CountingServer> {
  const sockets = new Set<Socket>();
  const state = { connections: 0, bytes: 0 };
  const server = createServer((s) => {
    state.connections += 1;
    sockets.add(s);
    s.on('data', (b: Buffer) => (state.bytes += b.length));
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return {
    server,
    port: typeof addr === 'object' && addr ? addr.port : port,
    get connections() {
      return state.connections;
    },
    get bytes() {
      return state.bytes;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export async function httpServer(
  handler: Parameters<typeof createHttpServer>[1],
): Promise<{ server: HttpServer; port: number; close(): Promise<void> }> {
  const server = createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  return {
    server,
    port: typeof addr === 'object' && addr ? addr.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function flows(events: CordonEvent[], phase: 'open' | 'close' = 'open'): NetFlowEvent[] {
  return events.filter((e): e is NetFlowEvent => e.kind === 'net.flow' && e.phase === phase);
}

/** Waits until `pred` holds (events are published asynchronously after the owner lookup). */
export async function waitFor<T>(fn: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What cordon left in the kernel: netns, host veths and per-sandbox nft chains. */
export async function cordonLeftovers(): Promise<{
  netns: string[];
  veths: string[];
  chains: string[];
}> {
  const netns = safeList('/run/netns').filter((n) => n.startsWith('cordon-'));
  const veths = (await listVeths()).map((v) => v.name).filter((n) => /^cdn\d+$/.test(n));
  const r = await runTool('nft', ['list', 'table', 'ip', 'cordon']);
  const chains = [...r.stdout.matchAll(/chain ((?:nat|filt)_\d+)/g)].map((m) => m[1] ?? '');
  return { netns, veths, chains };
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
