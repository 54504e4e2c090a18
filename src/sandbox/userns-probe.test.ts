import { chmodSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { findExecutable } from './host.js';
import { USERNS_CACHE_DIR, usernsUsable } from './userns-probe.js';

const ROOT = process.getuid?.() === 0;
const OK_FILE = join(USERNS_CACHE_DIR, 'userns-ok');

/** A stand-in bwrap that records each call and exits with the given status. */
function fakeBwrap(dir: string, status: number): { path: string; calls: () => number } {
  const path = join(dir, `bwrap-${status}`);
  const log = join(dir, `calls-${status}`);
  writeFileSync(log, '');
  writeFileSync(
    path,
    `#!/bin/sh\necho "$*" >> ${log}\n[ ${status} = 0 ] || echo 'no userns here' >&2\nexit ${status}\n`,
  );
  chmodSync(path, 0o755);
  return { path, calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean).length };
}

describe('usernsUsable', () => {
  let dir: string;
  let saved: string | null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cordon-userns-probe-'));
    try {
      saved = readFileSync(OK_FILE, 'utf8');
    } catch {
      saved = null;
    }
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (saved === null) rmSync(OK_FILE, { force: true });
    else writeFileSync(OK_FILE, saved, { mode: 0o600 });
  });

  test('bubblewrap on this machine can unshare a user namespace', () => {
    const bwrap = findExecutable('bwrap');
    expect(bwrap).not.toBeNull();
    expect(usernsUsable(bwrap!, { fresh: true })).toEqual({ ok: true });
    expect(usernsUsable(bwrap!)).toEqual({ ok: true });
  });

  test.skipIf(!ROOT)(
    'a usable answer is remembered for later processes until bwrap changes, and fresh probes again (root only: the cache is in /run/cordon)',
    () => {
      const bwrap = fakeBwrap(dir, 0);
      expect(usernsUsable(bwrap.path)).toEqual({ ok: true });
      expect(bwrap.calls()).toBe(1);
      expect(usernsUsable(bwrap.path)).toEqual({ ok: true });
      expect(bwrap.calls()).toBe(1);
      expect(usernsUsable(bwrap.path, { fresh: true })).toEqual({ ok: true });
      expect(bwrap.calls()).toBe(2);
      // Another bwrap binary (here: the same file, modified) is probed again.
      utimesSync(bwrap.path, new Date(), new Date(Date.now() + 5000));
      expect(usernsUsable(bwrap.path)).toEqual({ ok: true });
      expect(bwrap.calls()).toBe(3);
    },
  );

  test.skipIf(!ROOT)(
    'an unusable answer is never remembered: each process probes again (root only)',
    () => {
      const bwrap = fakeBwrap(dir, 1);
      expect(usernsUsable(bwrap.path)).toEqual({ ok: false, error: 'no userns here' });
      expect(usernsUsable(bwrap.path)).toEqual({ ok: false, error: 'no userns here' });
      expect(bwrap.calls()).toBe(2);
    },
  );
});
