/**
 * Upload and download of workspace files from the host side. The workspace is writable by the
 * agent, so any path component may be a symlink it planted (`/workspace/d -> /etc`): every file is
 * opened with O_NOFOLLOW (and O_NONBLOCK, so a planted FIFO cannot hang the server) and its real path checked to lie inside the workspace before use.
 */
import { constants } from 'node:fs';
import { chown, lstat, mkdir, open, readlink, realpath, stat } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import { CordonError } from '../errors.js';

const IN_SANDBOX_ROOT = '/workspace';

function badPath(path: string, why: string): CordonError {
  return new CordonError(
    'CORDON_E_BODY_INVALID',
    `Bad workspace path ${JSON.stringify(path)}: ${why}`,
  );
}

/**
 * Turns a user path (`a/b.txt` or `/workspace/a/b.txt`) into workspace-relative segments.
 * Rejects `..`, absolute paths elsewhere, and NUL bytes.
 */
export function workspaceSegments(path: string): string[] {
  if (path.includes('\0')) throw badPath(path, 'contains a NUL byte');
  let rel = path.replace(/\\/g, '/');
  if (rel === IN_SANDBOX_ROOT || rel.startsWith(IN_SANDBOX_ROOT + '/')) {
    rel = rel.slice(IN_SANDBOX_ROOT.length);
  } else if (rel.startsWith('/')) {
    throw badPath(path, 'absolute paths must be under /workspace');
  }
  const segments = rel.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw badPath(path, '".." is not allowed');
  if (segments.length === 0) throw badPath(path, 'names no file');
  return segments;
}

async function assertInside(root: string, fdPath: string, path: string): Promise<void> {
  const real = await readlink(fdPath);
  const rootReal = await realpath(root);
  if (real !== rootReal && !real.startsWith(rootReal + sep))
    throw badPath(path, 'escapes the workspace');
}

interface Owner {
  uid: number;
  gid: number;
}

/** Creates missing parent directories, refusing any existing component that is not a real directory. */
async function ensureParents(
  root: string,
  segments: string[],
  path: string,
  owner: Owner,
): Promise<void> {
  let dir = root;
  for (const name of segments.slice(0, -1)) {
    dir = join(dir, name);
    const st = await lstat(dir).catch(() => undefined);
    if (st === undefined) {
      await mkdir(dir, { mode: 0o755 });
      await chown(dir, owner.uid, owner.gid);
    } else if (!st.isDirectory()) {
      throw badPath(path, `${posix.join(...segments)} crosses a non-directory`);
    }
  }
}

export async function writeWorkspaceFile(
  root: string,
  path: string,
  bytes: Uint8Array,
): Promise<void> {
  const segments = workspaceSegments(path);
  // While a sandbox runs, its workspace belongs to the sandbox's own uid: what is uploaded must too,
  // or the agent could read its files but never change them.
  const owner = await stat(root);
  await ensureParents(root, segments, path, owner);
  const target = join(root, ...segments);
  let handle;
  try {
    // No O_TRUNC: the real path is checked first, so a raced symlink swap cannot truncate a host file.
    handle = await open(
      target,
      constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
      0o644,
    );
  } catch (error) {
    throw badPath(path, (error as NodeJS.ErrnoException).code ?? 'cannot open');
  }
  try {
    await assertInside(root, `/proc/self/fd/${handle.fd}`, path);
    if (!(await handle.stat()).isFile()) throw badPath(path, 'is not a regular file');
    await handle.truncate(0);
    await handle.write(bytes, 0, bytes.length, 0);
    await handle.chown(owner.uid, owner.gid);
  } finally {
    await handle.close();
  }
}

export async function readWorkspaceFile(
  root: string,
  path: string,
  maxBytes: number,
): Promise<Uint8Array> {
  const segments = workspaceSegments(path);
  let handle;
  try {
    handle = await open(
      join(root, ...segments),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CordonError('CORDON_E_NOT_FOUND', `No such file: ${path}`);
    throw badPath(path, code ?? 'cannot open');
  }
  try {
    await assertInside(root, `/proc/self/fd/${handle.fd}`, path);
    const st = await handle.stat();
    if (!st.isFile()) throw badPath(path, 'is not a regular file');
    if (st.size > maxBytes) {
      throw new CordonError('CORDON_E_BODY_TOO_LARGE', `${path} is larger than ${maxBytes} bytes`);
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
