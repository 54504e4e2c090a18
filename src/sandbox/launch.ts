/**
 * What one-shot runs and live sandboxes share: check the host (fail closed), make the workspace
 * and cgroup, build the argv, spawn `cordon-launch -- bwrap ...`, and undo it all afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CordonError } from '../errors.js';
import { presetPolicy, type Policy } from '../policy/index.js';
import { buildBwrapArgs } from './bwrap-args.js';
import {
  cgroupName,
  collectLeftoverCgroups,
  createCgroup,
  parseCgroupName,
  processStartTime,
  type SandboxCgroup,
} from './cgroup.js';
import { buildSandboxEnv } from './env.js';
import { spawnLauncher, type LauncherProcess, type LauncherStdio } from './fast-spawn.js';
import { probeHost, type HostFacts } from './host.js';
import {
  grantTree,
  reachablePath,
  sandboxHostUser,
  searchableByOthers,
  STAGE_ROOT,
  stageUnreachable,
  userSpec,
  type HostUser,
} from './host-user.js';
import { HOST_SECRETS, resolveAllowWrite, resolveDenyRead } from './mounts.js';
import { nativeHelperPath } from './native.js';
import type { SandboxOptions, WatchTarget } from './types.js';

const WORKSPACE_PREFIX = 'cordon-ws-';

export interface PreparedSandbox {
  sandboxId: string;
  policy: Policy;
  host: HostFacts;
  workspace: string;
  /** True when cordon made the workspace (and so removes it). */
  ownWorkspace: boolean;
  cgroup: SandboxCgroup;
  env: Record<string, string>;
  options: SandboxOptions;
  /** The host uid the sandbox runs as (null when cordon is not root: then the caller's own). */
  hostUser: HostUser | null;
  /** Give the workspace and allowWrite trees back to their owners. */
  restoreOwners: (() => void)[];
}

export function newSandboxId(): string {
  return randomBytes(6).toString('hex');
}

/** Fails closed when the host cannot isolate: no bwrap, no cgroups, helpers not built. */
export function checkHost(host: HostFacts): void {
  if (!host.bwrap) {
    throw new CordonError('CORDON_E_BWRAP_MISSING', undefined, {
      details: { hint: 'apt-get install bubblewrap' },
    });
  }
  if (host.cgroup.layout === 'none') {
    throw new CordonError(
      'CORDON_E_HOST_UNSUPPORTED',
      'No cgroup hierarchy: limits cannot be enforced',
    );
  }
}

let leftoversCollected: Promise<string[]> | undefined;

/**
 * Removes what sandboxes of dead cordon processes left behind (cgroups, temp workspaces).
 * Runs once per process before the first sandbox; call it again to force.
 */
export async function collectLeftovers(host: HostFacts = probeHost()): Promise<string[]> {
  const names = await collectLeftoverCgroups(host.cgroup);
  for (const entry of safeReaddir(tmpdir())) {
    if (!entry.startsWith(WORKSPACE_PREFIX)) continue;
    const owner = parseCgroupName(entry.slice(WORKSPACE_PREFIX.length));
    if (!owner) continue;
    const alive = processStartTime(owner.ownerPid);
    if (alive !== null && alive === owner.startTime) continue;
    rmSync(join(tmpdir(), entry), { recursive: true, force: true });
    names.push(entry);
  }
  return names;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Workspace, env and cgroup for a new sandbox. Undoes its own partial work on failure. */
export async function prepareSandbox(options: SandboxOptions): Promise<PreparedSandbox> {
  const host = probeHost();
  checkHost(host);
  leftoversCollected ??= collectLeftovers(host).catch(() => []);
  await leftoversCollected;
  const policy = options.policy ?? presetPolicy('strict');
  const sandboxId = options.sandboxId ?? newSandboxId();
  const ownWorkspace = options.workspace === undefined;
  const workspace =
    options.workspace ?? join(tmpdir(), `${WORKSPACE_PREFIX}${cgroupName(sandboxId)}`);
  if (ownWorkspace) mkdirSync(workspace, { mode: 0o700 });
  else if (!isDirectory(workspace)) {
    throw new CordonError('CORDON_E_USAGE', `The workspace ${workspace} is not a directory`);
  }
  const hostUser = sandboxHostUser(policy.devices.gpu);
  const restoreOwners: (() => void)[] = [];
  try {
    if (hostUser) {
      restoreOwners.push(grantTree(workspace, hostUser));
      const home = options.home ?? host.home;
      for (const path of resolveAllowWrite(policy.filesystem.allowWrite, home)) {
        restoreOwners.push(grantTree(path, hostUser));
      }
    }
    const env = buildSandboxEnv(policy.env, options.hostEnv ?? process.env, options.network?.env);
    const cgroup = createCgroup(sandboxId, policy.resources, host.cgroup);
    return {
      sandboxId,
      policy,
      host,
      workspace,
      ownWorkspace,
      cgroup,
      env,
      options,
      hostUser,
      restoreOwners,
    };
  } catch (error) {
    for (const restore of restoreOwners) restore();
    if (ownWorkspace) rmSync(workspace, { recursive: true, force: true });
    throw error;
  }
}

export interface SpawnSpec {
  /** One-shot command; absent: server mode (control socket on fd 4). */
  argv?: readonly string[];
  tty: boolean;
  stdio: LauncherStdio[];
}

/** The cordon-launch argv that joins the cgroups (and netns) and execs bwrap. */
export function launchArgs(prep: PreparedSandbox, spec: Omit<SpawnSpec, 'stdio'>): string[] {
  const { policy, host, options } = prep;
  const home = options.home ?? host.home;
  const searchable = new Map<string, boolean>();
  const bwrap = buildBwrapArgs({
    policy,
    host,
    workspace: prep.workspace,
    initBinary: prep.hostUser
      ? reachablePath(nativeHelperPath('cordon-init'))
      : nativeHelperPath('cordon-init'),
    deny: resolveDenyRead([...policy.filesystem.denyRead, ...HOST_SECRETS], home).filter(
      // Under a directory the sandbox's uid cannot search, a path is already out of its reach, and
      // bwrap (running as that uid) could not mount over it anyway.
      (entry) => !prep.hostUser || searchableByOthers(dirname(entry.path), searchable),
    ),
    allowWrite: resolveAllowWrite(policy.filesystem.allowWrite, home),
    resolvConfPath: options.network?.resolvConfPath,
    extraBinds: options.extraBinds,
    userNamespaces: host.userNamespaces,
    sharedNetns: options.network !== undefined,
    tty: spec.tty,
    env: prep.env,
    argv: spec.argv,
  });
  const args: string[] = [];
  for (const file of prep.cgroup.procsFiles) args.push('--cgroup-procs', file);
  if (options.network) args.push('--netns', options.network.netnsPath);
  let bwrapArgs = bwrap;
  if (prep.hostUser) {
    const staged = stageUnreachable(bwrap, searchable);
    bwrapArgs = staged.args;
    if (staged.stages.length) args.push('--stage-root', STAGE_ROOT);
    for (const src of staged.stages) args.push('--stage', src);
    args.push('--user', userSpec(prep.hostUser));
  }
  args.push('--', host.bwrap?.path ?? 'bwrap', ...bwrapArgs);
  return args;
}

export function spawnSandbox(prep: PreparedSandbox, spec: SpawnSpec): Promise<LauncherProcess> {
  const args = launchArgs(prep, spec);
  // bwrap gets an empty environment: the sandbox's variables travel as --setenv arguments.
  return spawnLauncher(nativeHelperPath('cordon-launch'), args, { stdio: spec.stdio, env: {} });
}

export function watchTarget(prep: PreparedSandbox): WatchTarget {
  return {
    sandboxId: prep.sandboxId,
    episodeId: prep.options.episodeId,
    labels: prep.options.labels ?? {},
    cgroupV2Id: prep.cgroup.v2Id,
    cgroupPaths: prep.cgroup.paths,
    hostPids: () => prep.cgroup.pids(),
    gpu: prep.policy.devices.gpu,
  };
}

/** Removes the cgroup (killing stragglers) and the workspace cordon made, unless kept. */
export async function cleanupSandbox(prep: PreparedSandbox): Promise<void> {
  try {
    await prep.cgroup.remove();
  } finally {
    const removeWorkspace = prep.ownWorkspace && !prep.options.keepWorkspace;
    if (removeWorkspace) rmSync(prep.workspace, { recursive: true, force: true });
    // Every sandbox process is gone: hand the trees back to their owners.
    for (const restore of prep.restoreOwners) restore();
  }
}
