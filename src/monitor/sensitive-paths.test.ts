import { describe, expect, test } from 'vitest';
import { argv0Mismatch, fdKind } from './proc-facts.js';
import { droppedInKernel, FILE_OPS } from './bpftrace-program.js';
import { absolutize, isBuildArtefactName, matchSensitive } from './sensitive-paths.js';

describe('sensitive paths', () => {
  test.each([
    ['/dev/nvidia0', 'gpu'],
    ['/dev/dri/renderD128', 'gpu'],
    ['/dev/kfd', 'gpu'],
    ['/dev/cpu/0/msr', 'msr'],
    ['/proc/sys/vm/nr_hugepages', 'hugepages'],
    ['/proc/1/environ', 'proc-secrets'],
    ['/proc/self/mem', 'proc-secrets'],
    ['/proc/1/root/etc/passwd', 'proc-root'],
    ['/sys/fs/cgroup/memory/release_agent', 'escape'],
    ['/run/docker.sock', 'container-socket'],
    ['/run/containerd/containerd.sock', 'container-socket'],
    ['/workspace/.ssh/authorized_keys', 'ssh'],
    ['/etc/crontab', 'persistence'],
    ['/var/spool/cron/crontabs/root', 'persistence'],
    ['/etc/systemd/system/evil.service', 'persistence'],
    ['/workspace/.config/systemd/user/x.service', 'persistence'],
    ['/workspace/.bashrc', 'shell-rc'],
    ['/etc/ld.so.preload', 'preload'],
    ['/etc/shadow', 'credentials'],
    ['/workspace/.aws/credentials', 'credentials'],
    ['/workspace/.bash_history', 'history'],
  ])('%s is sensitive (%s)', (path, tag) => {
    expect(matchSensitive(path, false)).toEqual({ tag });
  });

  test.each([
    '/usr/lib/x86_64-linux-gnu/libc.so.6',
    '/workspace/main.c',
    '/etc/ld.so.cache',
    '/proc/self/maps',
    '/proc/self/status',
    '/dev/null',
    '/tmp/build/notes.txt',
  ])('%s is not sensitive', (path) => {
    expect(matchSensitive(path, true)).toBeNull();
  });

  test('logs and resolver files count only when written', () => {
    expect(matchSensitive('/etc/resolv.conf', false)).toBeNull();
    expect(matchSensitive('/etc/resolv.conf', true)).toEqual({ tag: 'network-config' });
    expect(matchSensitive('/var/log/auth.log', false)).toBeNull();
    expect(matchSensitive('/var/log/auth.log', true)).toEqual({ tag: 'log' });
  });

  test('relative paths are joined onto the cwd and folded', () => {
    expect(absolutize('.ssh/id_rsa', '/workspace')).toBe('/workspace/.ssh/id_rsa');
    expect(absolutize('../etc/./shadow', '/workspace')).toBe('/etc/shadow');
    expect(absolutize('x', undefined)).toBe('x');
  });
});

describe('process facts', () => {
  test.each([
    ['socket:[123]', 'socket'],
    ['pipe:[9]', 'pipe'],
    ['/dev/null', 'null'],
    ['/dev/pts/3', 'tty'],
    ['/workspace/out.log', 'file'],
    [undefined, 'none'],
  ])('fd %s is %s', (target, kind) => {
    expect(fdKind(target)).toBe(kind);
  });

  test.each([
    ['/usr/bin/dash', 'sh', false],
    ['/usr/bin/bash', '-bash', false],
    ['/usr/bin/true', '/bin/true', false],
    ['/usr/bin/python3.11', 'python3', false],
    ['/tmp/xmrig', 'kworker/0:1', true],
    ['/workspace/miner', 'sshd', true],
  ])('%s run as %s: mismatch %s', (exe, argv0, expected) => {
    expect(argv0Mismatch(exe, argv0)).toBe(expected);
  });
});

describe('the kernel-side drop of read-only opens', () => {
  test.each([
    '/usr/include/stdio.h',
    '/usr/lib/x86_64-linux-gnu/libc.so.6',
    '/lib/x86_64-linux-gnu/libm.so.6',
    '/lib64/ld-linux-x86-64.so.2',
    '/etc/ld.so.cache',
    '/usr/share/locale/C.utf8/LC_MESSAGES/libc.mo',
  ])('drops %s, which no pattern matches for a read', (path) => {
    expect(droppedInKernel(FILE_OPS.open, 0, path)).toBe(true);
    expect(matchSensitive(path, false)).toBeNull();
  });

  test.each([
    ['/usr/../root/.ssh/id_rsa', 0],
    ['/usr/share/./x/.bashrc', 0],
    ['/lib/../etc/shadow', 0],
    ['/usr/lib/systemd/system/evil.service', 0o101], // a write
    ['/etc/ld.so.cache.d', 0],
    ['/etc/shadow', 0],
    ['usr/include/stdio.h', 0], // relative: resolved in user space
  ])('keeps %s (flags %o)', (path, flags) => {
    expect(droppedInKernel(FILE_OPS.open, flags, path)).toBe(false);
  });

  test('a write under the software trees is still reported, a read is not', () => {
    expect(matchSensitive('/usr/lib/systemd/system/evil.service', true)).toEqual({
      tag: 'persistence',
    });
    expect(matchSensitive('/usr/lib/systemd/system/evil.service', false)).toBeNull();
  });

  test('keeps every non-open operation', () => {
    expect(droppedInKernel(FILE_OPS.unlink, 0, '/usr/bin/x')).toBe(false);
    expect(droppedInKernel(FILE_OPS.chmod, 0, '/usr/bin/x')).toBe(false);
  });
});

describe('the kernel-side drop of opened build artefacts', () => {
  test.each(['m0.c', 'ccAb12Cd.s', 'util.o', 'libx.a', 'main.d', 'x.S', 'a.cpp', 'b.hpp', 'c.cc'])(
    '%s is a build artefact name',
    (name) => expect(isBuildArtefactName(name)).toBe(true),
  );

  test.each(['.c', 'c', 'x.sh', 'x.service', 'x.cs', 'x.so', 'x.conf', 'id_rsa', 'x.c.bak'])(
    '%s is not',
    (name) => expect(isBuildArtefactName(name)).toBe(false),
  );

  test('no file a pattern names is a build artefact', () => {
    for (const path of [
      '/etc/shadow',
      '/root/.ssh/id_ed25519',
      '/root/.ssh/authorized_keys',
      '/etc/cron.d/job',
      '/etc/profile.d/evil.sh',
      '/etc/systemd/system/evil.service',
      '/etc/ld.so.preload',
      '/root/.bashrc',
      '/proc/1/environ',
      '/dev/nvidia0',
      '/sys/fs/cgroup/release_agent',
      '/run/docker.sock',
      '/var/log/auth.log',
      '/root/.bash_history',
      '/root/.aws/credentials',
      '/root/.docker/config.json',
    ]) {
      expect(matchSensitive(path)).not.toBeNull();
      expect(isBuildArtefactName(path.slice(path.lastIndexOf('/') + 1))).toBe(false);
    }
  });

  test('drops a successful open of a regular file so named, for reads and writes alike', () => {
    const opened = { name: 'm0.o', regular: true };
    expect(droppedInKernel(FILE_OPS.open, 0, 'm0.o', opened)).toBe(true);
    expect(
      droppedInKernel(FILE_OPS.open, 0o101, '/tmp/ccX.s', { name: 'ccX.s', regular: true }),
    ).toBe(true);
  });

  test('keeps a failed open, a non-regular file, and other operations', () => {
    expect(droppedInKernel(FILE_OPS.open, 0, '/root/.ssh/missing.c')).toBe(false);
    expect(droppedInKernel(FILE_OPS.open, 0, 'dir.c', { name: 'dir.c', regular: false })).toBe(
      false,
    );
    expect(droppedInKernel(FILE_OPS.unlink, 0, 'm0.o', { name: 'm0.o', regular: true })).toBe(
      false,
    );
    expect(droppedInKernel(FILE_OPS.chmod, 0, 'app.o', { name: 'app.o', regular: true })).toBe(
      false,
    );
  });
});
