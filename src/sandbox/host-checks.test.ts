import { describe, expect, test } from 'vitest';
import type { HostFacts } from './host.js';
import { sandboxHostChecks } from './host-checks.js';

const GOOD: HostFacts = {
  bwrap: { path: '/usr/bin/bwrap', version: '0.8.0' },
  userNamespaces: true,
  cgroup: {
    layout: 'hybrid',
    unifiedRoot: '/sys/fs/cgroup/unified',
    v1Mounts: {},
    controllers: ['cpu', 'cpuacct', 'freezer', 'memory', 'pids'],
  },
  gpuNodes: [],
  rootEntries: [],
  home: '/root',
};

describe('sandboxHostChecks', () => {
  test('a complete host passes every check and says which cgroup layout is in use', () => {
    const checks = sandboxHostChecks(GOOD, true);
    expect(checks.every((c) => c.ok && c.disables === '')).toBe(true);
    expect(checks.find((c) => c.name === 'cgroups')?.detail).toMatch(/^hybrid/);
  });

  test('each missing piece says what it disables', () => {
    const bad: HostFacts = {
      ...GOOD,
      bwrap: null,
      userNamespaces: false,
      userNamespacesError: 'No permissions to create new namespace',
      cgroup: { layout: 'v2', unifiedRoot: '/sys/fs/cgroup', v1Mounts: {}, controllers: ['cpu'] },
    };
    const byName = Object.fromEntries(sandboxHostChecks(bad, false).map((c) => [c.name, c]));
    expect(byName.bubblewrap?.disables).toMatch(/every sandbox/);
    expect(byName['user namespaces']?.detail).toMatch(/No permissions/);
    expect(byName.cgroups?.disables).toBe('limits on memory, pids');
    expect(byName['native helpers']?.disables).toMatch(/build:native/);
  });
});
