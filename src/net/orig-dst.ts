/**
 * The destination a redirected TCP connection was really sent to (SO_ORIGINAL_DST), through the
 * native addon native/build/orig_dst.node: Node itself has no getsockopt.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CordonError } from '../errors.js';

export interface OriginalDst {
  address: string;
  port: number;
}

interface Addon {
  originalDst(fd: number): OriginalDst;
}

let addon: Addon | undefined;

/** native/build/<name> from the package root (the nearest folder above this file with native/). */
export function nativeBuildPath(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'native', 'build', name);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new CordonError(
    'CORDON_E_HELPER_MISSING',
    `native/build/${name} not found: run npm run build:native`,
  );
}

function load(): Addon {
  if (!addon) {
    const require = createRequire(import.meta.url);
    addon = require(nativeBuildPath('orig_dst.node')) as Addon;
  }
  return addon;
}

/** The file descriptor behind a connected net.Socket (libuv's handle: not a public API). */
export function socketFd(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { fd?: number } })._handle;
  return handle?.fd ?? -1;
}

/**
 * @example const { address, port } = originalDst(socket); // what the sandbox connect()ed to
 * @throws CordonError CORDON_E_NETWORK_SETUP when the socket was not redirected (no conntrack entry)
 */
export function originalDst(socket: Socket): OriginalDst {
  const fd = socketFd(socket);
  try {
    return load().originalDst(fd);
  } catch (error) {
    if (error instanceof CordonError) throw error;
    throw new CordonError('CORDON_E_NETWORK_SETUP', `SO_ORIGINAL_DST failed on fd ${fd}`, {
      cause: error,
    });
  }
}
