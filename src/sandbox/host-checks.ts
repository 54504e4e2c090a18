/**
 * What `cordon doctor` says about the sandbox's needs: each host feature, whether it is there,
 * and what its absence disables. Pure over the probed facts (plus helper presence).
 */
import type { HostFacts } from './host.js';

export interface HostCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** What cordon cannot do without it (empty when ok). */
  disables: string;
}

const WANTED = ['cpu', 'memory', 'pids'];

/**
 * @example for (const c of sandboxHostChecks(probeHost(), helpersBuilt)) console.log(c.name, c.ok);
 */
export function sandboxHostChecks(host: HostFacts, helpersBuilt: boolean): HostCheck[] {
  const checks: HostCheck[] = [];
  const add = (name: string, ok: boolean, detail: string, disables: string) =>
    checks.push({ name, ok, detail, disables: ok ? '' : disables });
  add(
    'bubblewrap',
    host.bwrap !== null,
    host.bwrap ? `${host.bwrap.path} ${host.bwrap.version}` : 'not installed',
    'every sandbox (cordon refuses to run commands)',
  );
  add(
    'user namespaces',
    host.userNamespaces,
    host.userNamespaces ? 'usable' : (host.userNamespacesError ?? 'unusable'),
    'the unprivileged uid 1000 inside the sandbox (commands run as uid 0 with no capabilities)',
  );
  const controllers = host.cgroup.controllers;
  const missing = WANTED.filter((c) => !controllers.includes(c));
  add(
    'cgroups',
    host.cgroup.layout !== 'none' && missing.length === 0,
    `${host.cgroup.layout} (controllers: ${controllers.join(', ') || 'none'})`,
    missing.length && host.cgroup.layout !== 'none'
      ? `limits on ${missing.join(', ')}`
      : 'resource limits (cordon refuses to run commands)',
  );
  if (host.cgroup.layout === 'hybrid' || host.cgroup.layout === 'v1') {
    add(
      'cgroup2 (unified)',
      host.cgroup.unifiedRoot !== null,
      host.cgroup.unifiedRoot ?? 'not mounted',
      'telling sandboxes apart by cgroup id in eBPF',
    );
  }
  add(
    'native helpers',
    helpersBuilt,
    helpersBuilt ? 'cordon-init, cordon-launch built' : 'not built',
    'every sandbox: run `npm run build:native`',
  );
  checks.push({
    name: 'GPU',
    ok: true,
    detail: host.gpuNodes.length ? host.gpuNodes.join(', ') : 'no GPU device nodes',
    disables: '',
  });
  return checks;
}
