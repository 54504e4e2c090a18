import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ValidationError } from '../errors.js';
import { presetPolicy, resolvePolicy } from '../policy/index.js';
import type { RootEntry } from './host.js';
import {
  buildMountArgs,
  expandHome,
  resolveAllowWrite,
  resolveDenyRead,
  type MountInput,
} from './mounts.js';

const ROOT: RootEntry[] = [
  { name: 'bin', kind: 'symlink', target: 'usr/bin' },
  { name: 'dev', kind: 'dir' },
  { name: 'etc', kind: 'dir' },
  { name: 'proc', kind: 'dir' },
  { name: 'run', kind: 'dir' },
  { name: 'sys', kind: 'dir' },
  { name: 'tmp', kind: 'dir' },
  { name: 'usr', kind: 'dir' },
  { name: 'workspace', kind: 'dir' },
  { name: 'vmlinuz', kind: 'other' },
];

function input(over: Partial<MountInput> = {}): MountInput {
  return {
    policy: presetPolicy('strict'),
    host: { rootEntries: ROOT, gpuNodes: ['/dev/dri', '/dev/nvidia0', '/dev/nvidiactl'] },
    workspace: '/tmp/ws',
    initBinary: '/opt/cordon/native/build/cordon-init',
    deny: [],
    allowWrite: [],
    ...over,
  };
}

/** The [flag, src, dest] triples of a mount argv, for order-insensitive checks. */
function pairs(args: string[], flag: string): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    if (a === flag) out.push(`${args[i + 1]}=>${args[i + 2]}`);
  });
  return out;
}

// Not under /tmp: host /tmp is invisible in a sandbox, so masks there are skipped on purpose.
const scratch = mkdtempSync('/var/tmp/cordon-mounts-test-');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('buildMountArgs', () => {
  test('binds top-level host dirs read-only, recreates root symlinks, skips private trees', () => {
    const args = buildMountArgs(input());
    expect(pairs(args, '--ro-bind')).toEqual(expect.arrayContaining(['/etc=>/etc', '/usr=>/usr']));
    expect(pairs(args, '--symlink')).toContain('usr/bin=>/bin');
    for (const hidden of ['/proc', '/sys', '/dev', '/tmp', '/run', '/workspace', '/vmlinuz']) {
      expect(pairs(args, '--ro-bind')).not.toContain(`${hidden}=>${hidden}`);
    }
    expect(args).not.toContain('--bind-try');
    expect(args.slice(-2)).toEqual(['--remount-ro', '/']);
  });

  test('the workspace is the only read-write bind by default and /tmp is size-limited', () => {
    const args = buildMountArgs(input());
    expect(pairs(args, '--bind')).toEqual(['/tmp/ws=>/workspace']);
    const tmp = args.indexOf('/tmp', args.indexOf('--tmpfs') - 1);
    expect(args.slice(tmp - 5, tmp + 1)).toEqual([
      '--perms',
      '1777',
      '--size',
      String(256 * 1048576),
      '--tmpfs',
      '/tmp',
    ]);
    expect(pairs(args, '--ro-bind')).toContain(
      '/opt/cordon/native/build/cordon-init=>/.cordon/init',
    );
  });

  test('no GPU node or /dev/net/tun appears without devices.gpu', () => {
    const args = buildMountArgs(input());
    expect(args.join(' ')).not.toMatch(/nvidia|dri|kfd|net\/tun/);
  });

  test('devices.gpu binds the host GPU nodes (never /dev/net/tun)', () => {
    const policy = resolvePolicy({ devices: { gpu: true } });
    const args = buildMountArgs(input({ policy }));
    expect(pairs(args, '--dev-bind-try')).toEqual([
      '/dev/dri=>/dev/dri',
      '/dev/nvidia0=>/dev/nvidia0',
      '/dev/nvidiactl=>/dev/nvidiactl',
    ]);
    expect(args.join(' ')).not.toContain('net/tun');
  });

  test('denyRead masks come after allowWrite binds, so a secret inside a writable dir stays hidden', () => {
    const args = buildMountArgs(
      input({
        allowWrite: ['/srv/data'],
        deny: [
          { path: '/srv/data/.ssh', kind: 'dir' },
          { path: '/etc/shadow', kind: 'file' },
        ],
      }),
    );
    const bind = args.indexOf('/srv/data');
    const mask = args.indexOf('/srv/data/.ssh');
    expect(bind).toBeGreaterThan(0);
    expect(mask).toBeGreaterThan(bind);
    expect(args.slice(mask - 1, mask + 3)).toEqual([
      '--tmpfs',
      '/srv/data/.ssh',
      '--remount-ro',
      '/srv/data/.ssh',
    ]);
    expect(pairs(args, '--ro-bind')).toContain('/dev/null=>/etc/shadow');
  });

  test('a network resolv.conf is bound over /etc/resolv.conf', () => {
    const args = buildMountArgs(input({ resolvConfPath: '/run/cordon/ab/resolv.conf' }));
    expect(pairs(args, '--ro-bind')).toContain('/run/cordon/ab/resolv.conf=>/etc/resolv.conf');
  });
});

describe('resolveDenyRead', () => {
  test('expands ~, keeps existing paths only, classifies dirs and files, drops nested ones', () => {
    const home = join(scratch, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'id_rsa'), 'secret');
    writeFileSync(join(home, '.netrc'), 'secret');
    symlinkSync(join(home, '.netrc'), join(home, 'netrc-link'));
    const out = resolveDenyRead(
      ['~/.ssh', '~/.ssh/id_rsa', '~/.netrc', '~/netrc-link', '~/.aws', '/proc/kcore', '/tmp/x'],
      home,
    );
    expect(out).toEqual([
      { path: join(home, '.netrc'), kind: 'file' },
      { path: join(home, '.ssh'), kind: 'dir' },
    ]);
  });
});

describe('resolveAllowWrite', () => {
  test('every path must exist; problems name the policy path', () => {
    const dir = join(scratch, 'writable');
    mkdirSync(dir);
    expect(resolveAllowWrite([dir], '/nonexistent')).toEqual([dir]);
    try {
      resolveAllowWrite([dir, join(scratch, 'missing')], '/nonexistent');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).problems[0]?.path).toBe('filesystem.allowWrite.1');
    }
  });

  test('expandHome only touches a leading ~', () => {
    expect(expandHome('~/.ssh', '/home/a')).toBe('/home/a/.ssh');
    expect(expandHome('~', '/home/a')).toBe('/home/a');
    expect(expandHome('/x/~/y', '/home/a')).toBe('/x/~/y');
  });
});
