import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cgroupFactsFrom, probeHost } from './host.js';

const HYBRID = [
  '30 25 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755',
  '31 30 0:27 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu',
  '32 30 0:28 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct',
  '33 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
  '34 30 0:30 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids',
  '35 30 0:31 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer',
  '36 30 0:32 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd',
  '37 30 0:33 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
].join('\n');

describe('cgroupFactsFrom', () => {
  test('recognises the hybrid layout with its v1 mounts and the unified hierarchy', () => {
    const facts = cgroupFactsFrom(HYBRID, null);
    expect(facts.layout).toBe('hybrid');
    expect(facts.unifiedRoot).toBe('/sys/fs/cgroup/unified');
    expect(facts.v1Mounts.memory).toBe('/sys/fs/cgroup/memory');
    expect(facts.controllers).toEqual(['cpu', 'cpuacct', 'freezer', 'memory', 'pids']);
  });

  test('recognises pure v2 and co-mounted v1 controllers', () => {
    const v2 = cgroupFactsFrom(
      '40 1 0:5 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw',
      'cpuset cpu io memory pids\n',
    );
    expect(v2).toEqual({
      layout: 'v2',
      unifiedRoot: '/sys/fs/cgroup',
      v1Mounts: {},
      controllers: ['cpu', 'cpuset', 'io', 'memory', 'pids'],
    });
    const v1 = cgroupFactsFrom(
      '31 30 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct',
      null,
    );
    expect(v1.layout).toBe('v1');
    expect(v1.v1Mounts.cpuacct).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(cgroupFactsFrom('', null).layout).toBe('none');
  });
});

describe('probeHost', () => {
  test('finds bwrap and a cgroup layout on this machine, and caches the answer', () => {
    const facts = probeHost();
    expect(facts.bwrap?.path).toMatch(/bwrap$/);
    expect(facts.cgroup.layout).not.toBe('none');
    expect(facts.rootEntries.some((e) => e.name === 'usr' && e.kind === 'dir')).toBe(true);
    expect(probeHost()).toBe(facts);
  });

  test('runs bwrap --version only when the version is read (doctor), not on every probe', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cordon-fake-bwrap-'));
    const calls = join(dir, 'calls');
    writeFileSync(calls, '');
    writeFileSync(
      join(dir, 'bwrap'),
      `#!/bin/sh\necho "$1" >> ${calls}\n[ "$1" = --version ] && echo 'bubblewrap 9.9.9'\nexit 0\n`,
    );
    chmodSync(join(dir, 'bwrap'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${dir}:${path ?? ''}`;
    try {
      const facts = probeHost({ fresh: true });
      expect(facts.bwrap?.path).toBe(join(dir, 'bwrap'));
      expect(readFileSync(calls, 'utf8')).toBe('--unshare-user\n');
      expect(facts.bwrap?.version).toBe('9.9.9');
      expect(facts.bwrap?.version).toBe('9.9.9');
      expect(readFileSync(calls, 'utf8')).toBe('--unshare-user\n--version\n');
      expect(JSON.parse(JSON.stringify(facts.bwrap))).toEqual({
        path: join(dir, 'bwrap'),
        version: '9.9.9',
      });
    } finally {
      process.env.PATH = path;
      probeHost({ fresh: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
