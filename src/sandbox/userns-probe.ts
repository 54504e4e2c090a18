/**
 * Whether bwrap can make a user namespace here: one `bwrap --unshare-user ... true` run, 15-30 ms
 * of every cordon process's start. A usable answer is remembered (root only) in /run/cordon, a
 * tmpfs emptied at boot, under a key of what decides it: bwrap's file, the boot, the user
 * namespace sysctls, and this process's namespaces, capabilities and seccomp state. Only "usable"
 * is remembered: should it go stale, bwrap fails to start the sandbox (fail closed); an unusable
 * answer, which makes sandboxes run without a user namespace, is probed afresh every time.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export const USERNS_CACHE_DIR = '/run/cordon/probe';
/** Holds the key of the last usable answer: one file, however many keys come and go. */
const USERNS_OK_FILE = join(USERNS_CACHE_DIR, 'userns-ok');

export interface UsernsProbe {
  ok: boolean;
  /** bwrap's message when user namespaces are unusable. */
  error?: string;
}

/**
 * Probes (or recalls) whether bwrap at this path can unshare a user namespace.
 * @example if (!usernsUsable('/usr/bin/bwrap').ok) console.log('sandboxes run without a userns')
 */
export function usernsUsable(bwrap: string, options: { fresh?: boolean } = {}): UsernsProbe {
  const key = probeKey(bwrap);
  if (key !== null && !options.fresh && optional(USERNS_OK_FILE) === key) return { ok: true };
  const result = probeUserNamespaces(bwrap);
  if (result.ok && key !== null) remember(key);
  return result;
}

function probeUserNamespaces(bwrap: string): UsernsProbe {
  const out = spawnSync(bwrap, ['--unshare-user', '--ro-bind', '/', '/', 'true'], {
    encoding: 'utf8',
    timeout: 5000,
    env: {},
  });
  if (out.status === 0) return { ok: true };
  return { ok: false, error: (out.stderr ?? '').trim() || `exit ${String(out.status)}` };
}

/** What the answer depends on, hashed; null (no caching) unless root, or if any read fails. */
function probeKey(bwrap: string): string | null {
  if (process.getuid?.() !== 0) return null;
  try {
    const st = statSync(bwrap);
    const status = readFileSync('/proc/self/status', 'utf8');
    const facts = [
      bwrap,
      st.dev,
      st.ino,
      st.size,
      st.mode,
      st.uid,
      st.mtimeMs,
      st.ctimeMs,
      readFileSync('/proc/sys/kernel/random/boot_id', 'utf8'),
      optional('/proc/sys/user/max_user_namespaces'),
      optional('/proc/sys/kernel/unprivileged_userns_clone'),
      optional('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
      readlinkSync('/proc/self/ns/user'),
      readlinkSync('/proc/self/ns/mnt'),
      status.match(/^(Cap\w+|NoNewPrivs|Seccomp\w*):.*$/gm)?.join('\n') ?? '',
    ];
    return createHash('sha256').update(JSON.stringify(facts)).digest('hex').slice(0, 32);
  } catch {
    return null;
  }
}

function optional(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function remember(key: string): void {
  const temp = `${USERNS_OK_FILE}.${process.pid}`;
  try {
    mkdirSync(USERNS_CACHE_DIR, { recursive: true, mode: 0o700 });
    // Written whole, then renamed: a process reading it sees the old key or the new one.
    writeFileSync(temp, key, { mode: 0o600 });
    renameSync(temp, USERNS_OK_FILE);
  } catch {
    // Only a cache: the next process probes again.
    try {
      rmSync(temp, { force: true });
    } catch {
      // nothing was written
    }
  }
}
