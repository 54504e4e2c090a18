/**
 * The sandbox environment: an allowlist over the host's variables (exact names and `PREFIX*`),
 * HOME pointed at the workspace, the network layer's variables, then `env.set`, which wins.
 * Anything not named never crosses: host tokens and keys stay outside. Pure.
 */
import type { Policy } from '../policy/index.js';
import { WORKSPACE_DIR } from './mounts.js';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** True when `name` matches one allow entry: exact, or `PREFIX*` as a prefix. */
export function envAllowed(name: string, allow: readonly string[]): boolean {
  return allow.some((entry) =>
    entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : name === entry,
  );
}

/**
 * @example buildSandboxEnv(policy.env, process.env, attachment?.env)
 *   // { PATH: '/usr/bin:...', HOME: '/workspace', LANG: 'C.UTF-8', HTTP_PROXY: ... }
 */
export function buildSandboxEnv(
  policyEnv: Policy['env'],
  hostEnv: Readonly<Record<string, string | undefined>>,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(hostEnv)) {
    if (value === undefined || name === 'HOME') continue;
    if (envAllowed(name, policyEnv.allow)) out[name] = value;
  }
  out.PATH ??= DEFAULT_PATH;
  out.HOME = WORKSPACE_DIR;
  Object.assign(out, extra, policyEnv.set);
  return out;
}
