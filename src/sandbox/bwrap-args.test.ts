import { describe, expect, test } from 'vitest';
import { presetPolicy } from '../policy/index.js';
import { buildBwrapArgs, type BwrapArgsInput } from './bwrap-args.js';

function input(over: Partial<BwrapArgsInput> = {}): BwrapArgsInput {
  return {
    policy: presetPolicy('strict'),
    host: { rootEntries: [{ name: 'usr', kind: 'dir' }], gpuNodes: [] },
    workspace: '/tmp/ws',
    initBinary: '/x/cordon-init',
    deny: [],
    allowWrite: [],
    userNamespaces: true,
    sharedNetns: false,
    tty: false,
    env: { PATH: '/usr/bin', HOME: '/workspace' },
    argv: ['sh', '-c', 'echo hi'],
    ...over,
  };
}

describe('buildBwrapArgs', () => {
  test('isolates every namespace, drops capabilities and runs cordon-init one-shot', () => {
    const args = buildBwrapArgs(input());
    for (const flag of [
      '--die-with-parent',
      '--unshare-user',
      '--unshare-pid',
      '--unshare-ipc',
      '--unshare-uts',
      '--unshare-cgroup',
      '--unshare-net',
      '--as-pid-1',
      '--new-session',
      '--clearenv',
    ]) {
      expect(args).toContain(flag);
    }
    expect(args.join(' ')).toContain('--uid 1000 --gid 1000');
    expect(args.join(' ')).toContain('--cap-drop ALL');
    expect(args.join(' ')).toContain('--hostname cordon');
    expect(args.join(' ')).toContain('--chdir /workspace');
    expect(args.slice(-7)).toEqual(['/.cordon/init', '--events', '3', '--', 'sh', '-c', 'echo hi']);
  });

  test('environment travels as --setenv pairs after --clearenv', () => {
    const args = buildBwrapArgs(input());
    const clear = args.indexOf('--clearenv');
    const set = args.indexOf('--setenv');
    expect(set).toBeGreaterThan(clear);
    expect(args.slice(set, set + 3)).toEqual(['--setenv', 'PATH', '/usr/bin']);
  });

  test('a network attachment keeps the prepared netns, a tty keeps the session', () => {
    const args = buildBwrapArgs(input({ sharedNetns: true, tty: true }));
    expect(args).not.toContain('--unshare-net');
    expect(args).not.toContain('--new-session');
  });

  test('server mode passes the control fd; no user namespace means no --uid', () => {
    const args = buildBwrapArgs(input({ argv: undefined, userNamespaces: false }));
    expect(args.slice(-5)).toEqual(['/.cordon/init', '--events', '3', '--control', '4']);
    expect(args).not.toContain('--uid');
    expect(args).not.toContain('--unshare-user');
  });
});
