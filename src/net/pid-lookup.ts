/**
 * Reading the kernel's TCP table (/proc/net/tcp). Best-effort attribution of a flow to a process:
 * the sandbox-side socket (address:port) -> its inode in the netns's /proc/<pid>/net/tcp -> the
 * process holding `socket:[inode]` among the processes in that netns (asynchronous and bounded,
 * never on the data path). And which connections from an address the kernel holds at a port,
 * accepted or not (the proxy's backlog at detach).
 */
import { readFileSync } from 'node:fs';
import { readdir, readFile, readlink, stat } from 'node:fs/promises';

export interface SocketOwner {
  pid: number;
  exe?: string;
}

/** /proc/net/tcp writes an IPv4 address as the hex of its in-memory (little-endian) bytes. */
export function procNetAddress(address: string, port: number): string {
  const b = address.split('.').map(Number);
  const hex = (n: number | undefined) => (n ?? 0).toString(16).padStart(2, '0');
  return `${hex(b[3])}${hex(b[2])}${hex(b[1])}${hex(b[0])}:${port.toString(16).padStart(4, '0')}`.toUpperCase();
}

/** The inode of the socket whose local end is `local` in a /proc/net/tcp table. */
export function socketInode(table: string, local: string): string | undefined {
  for (const line of table.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols[1] === local && cols[9] && cols[9] !== '0') return cols[9];
  }
  return undefined;
}

async function netnsInode(netnsPath: string): Promise<string | undefined> {
  try {
    return String((await stat(netnsPath)).ino);
  } catch {
    return undefined;
  }
}

/** Pids whose network namespace is the one bound at netnsPath. */
export async function pidsInNetns(netnsPath: string): Promise<number[]> {
  const ino = await netnsInode(netnsPath);
  if (!ino) return [];
  const want = `net:[${ino}]`;
  const entries = (await readdir('/proc').catch(() => [] as string[])).filter((n) =>
    /^\d+$/.test(n),
  );
  const links = await Promise.all(
    entries.map((pid) => readlink(`/proc/${pid}/ns/net`).catch(() => '')),
  );
  return entries.filter((_, i) => links[i] === want).map(Number);
}

/**
 * @example await findSocketOwner('/run/netns/cordon-5', '198.19.0.22', 40312) // { pid: 1234, exe }
 */
export async function findSocketOwner(
  netnsPath: string,
  localAddress: string,
  localPort: number,
): Promise<SocketOwner | undefined> {
  const pids = await pidsInNetns(netnsPath);
  const first = pids[0];
  if (first === undefined) return undefined;
  const table = await readFile(`/proc/${first}/net/tcp`, 'utf8').catch(() => '');
  const inode = socketInode(table, procNetAddress(localAddress, localPort));
  if (!inode) return undefined;
  const target = `socket:[${inode}]`;
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    const links = await Promise.all(
      fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')),
    );
    if (links.includes(target)) {
      const exe = await readlink(`/proc/${pid}/exe`).catch(() => undefined);
      return exe ? { pid, exe } : { pid };
    }
  }
  return undefined;
}

/**
 * Source ports of the TCP connections from `address` to local `port` that the kernel holds in this
 * network namespace (established, or already closed by the client), accepted or not.
 */
export function establishedFrom(address: string, port: number, table = readProcNetTcp()): number[] {
  const local = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const remote = procNetAddress(address, 0).slice(0, 8);
  const ports: number[] = [];
  for (const line of table.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const [, localCol, remoteCol, state] = cols;
    if (!localCol?.endsWith(local) || !remoteCol?.startsWith(`${remote}:`)) continue;
    if (state !== '01' && state !== '08') continue; // ESTABLISHED, CLOSE_WAIT
    ports.push(parseInt(remoteCol.slice(9), 16));
  }
  return ports;
}

function readProcNetTcp(): string {
  try {
    return readFileSync('/proc/self/net/tcp', 'utf8');
  } catch {
    return '';
  }
}
