/**
 * Hands an allowed flow to the kernel relay (native/build/relay.node): the addon dup()s both
 * sockets' fds and moves their bytes with splice(2) on one native epoll thread, so the data path
 * never enters Node. Node's own sockets are then closed (close(2) of one fd of two: no FIN, no
 * RST). When the addon is missing or refuses a flow, nothing was touched and the caller pipes the
 * flow in Node instead.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { nativeBuildPath, socketFd } from './orig-dst.js';

export interface RelayResult {
  /** Bytes delivered to the upstream (the first bytes included) and to the client. */
  bytesOut: number;
  bytesIn: number;
  error?: string;
}

export interface RelayHandle {
  /** Resets both connections; the flow's result still arrives, with an error. */
  abort(): void;
}

interface RelayAddon {
  start(onDone: (id: number, bytesOut: number, bytesIn: number, error?: string) => void): void;
  relay(
    clientFd: number,
    upstreamFd: number,
    toUpstream: Buffer,
    toClient: Buffer,
    pipeBytes: number,
  ): number;
  abort(id: number): void;
}

/**
 * What a bulk flow's pipes grow to (each starts at 64 KiB and grows after 256 KiB): what one
 * splice can move. Measured here (512 MiB through veth + loopback): 64 KiB ~0.88, 256 KiB ~0.69,
 * 1 MiB ~0.52 CPU-seconds per GB relayed. Without CAP_SYS_RESOURCE the kernel may refuse to grow
 * (pipe-max-size, pipe-user-pages-soft): slower, still correct.
 */
const PIPE_BYTES = 1024 * 1024;

interface RelayState {
  addon: RelayAddon | null;
  reason?: string;
  waiting: Map<number, (result: RelayResult) => void>;
}

// One per process, not per module instance: the addon starts one thread whose results go to the
// first callback given, and test runners may evaluate this module more than once per process.
const STATE_KEY = Symbol.for('cordon.net.kernel-relay');

function relayState(): RelayState {
  const global = globalThis as { [STATE_KEY]?: RelayState };
  const existing = global[STATE_KEY];
  if (existing) return existing;
  const state: RelayState = { addon: null, waiting: new Map() };
  global[STATE_KEY] = state;
  try {
    const require = createRequire(import.meta.url);
    const a = require(nativeBuildPath('relay.node')) as RelayAddon;
    a.start((id, bytesOut, bytesIn, error) => {
      const done = state.waiting.get(id);
      state.waiting.delete(id);
      done?.({ bytesOut, bytesIn, ...(error ? { error } : {}) });
    });
    state.addon = a;
  } catch (error) {
    state.reason = (error as Error).message;
  }
  return state;
}

/** Whether allowed flows can be relayed in the kernel; else why not (for doctor and reports). */
export function kernelRelayStatus(): { available: boolean; reason?: string } {
  const { addon, reason } = relayState();
  return addon ? { available: true } : { available: false, reason };
}

/**
 * Sends `first` (and anything Node already buffered from either side) on, then relays both ways
 * in the kernel until both sides have ended or one fails; `onDone` gets the counts.
 * @returns undefined when the flow was not handed off (nothing sent, sockets untouched)
 * @example const handle = relayInKernel(client, upstream, first, (r) => report(r));
 */
export function relayInKernel(
  client: Socket,
  upstream: Socket,
  first: Buffer,
  onDone: (result: RelayResult) => void,
): RelayHandle | undefined {
  const state = relayState();
  const a = state.addon;
  if (!a || client.destroyed || upstream.destroyed) return undefined;
  // Bytes Node still has to write (a CONNECT's 200) would be overtaken by the relay's.
  if (client.writableLength > 0 || upstream.writableLength > 0) return undefined;
  const clientFd = socketFd(client);
  const upstreamFd = socketFd(upstream);
  if (clientFd < 0 || upstreamFd < 0) return undefined;
  // Everything Node read and did not hand out yet; nothing more is read before the sockets close
  // (this runs in one tick), and the rest waits in the kernel for the relay.
  const fromClient = takeBuffered(client);
  const fromUpstream = takeBuffered(upstream);
  const toUpstream = fromClient ? Buffer.concat([first, fromClient]) : first;
  let id: number;
  try {
    id = a.relay(clientFd, upstreamFd, toUpstream, fromUpstream ?? Buffer.alloc(0), PIPE_BYTES);
  } catch {
    if (fromClient) client.unshift(fromClient);
    if (fromUpstream) upstream.unshift(fromUpstream);
    return undefined;
  }
  state.waiting.set(id, onDone);
  client.destroy();
  upstream.destroy();
  return { abort: () => a.abort(id) };
}

function takeBuffered(socket: Socket): Buffer | undefined {
  if (socket.readableLength === 0) return undefined;
  const chunk = socket.read() as Buffer | null;
  return chunk && chunk.length > 0 ? chunk : undefined;
}
