/**
 * Built-in presets. A user's policy file is merged over one of these: lists are unioned (so a user can
 * never remove a preset's secret from denyRead), scalars are replaced.
 */
import type { PolicyInput, PresetName } from './schema.js';

/** Secrets and escape hatches hidden in every preset; a policy can add to this list, never shrink it. */
export const ALWAYS_DENY_READ = [
  '~/.ssh',
  '~/.aws',
  '~/.azure',
  '~/.kube',
  '~/.config/gcloud',
  '~/.docker',
  '~/.gnupg',
  '~/.netrc',
  '~/.git-credentials',
  '~/.npmrc',
  '~/.pypirc',
  '/root',
  '/etc/shadow',
  '/etc/gshadow',
  '/etc/sudoers',
  '/etc/sudoers.d',
  '/etc/ssh',
  '/var/run/docker.sock',
  '/run/docker.sock',
  '/run/containerd',
  '/var/run/containerd',
  '/run/podman',
  '/var/lib/docker',
  '/var/lib/containerd',
] as const;

export const DEFAULT_ENV_ALLOW = ['PATH', 'HOME', 'LANG', 'LC_*', 'TERM', 'TZ'] as const;

export const PRESETS: Record<PresetName, PolicyInput> = {
  /** The default: no egress, modest limits, nothing of the host's secrets or devices. */
  strict: {
    preset: 'strict',
    filesystem: { allowWrite: [], denyRead: [...ALWAYS_DENY_READ] },
    network: { allow: [], deny: [], hosts: {} },
    resources: { cpus: 1, memoryMB: 1024, pids: 256, timeoutMs: 600_000, tmpMB: 256 },
    devices: { gpu: false },
    env: { allow: [...DEFAULT_ENV_ALLOW], set: {} },
    detect: {
      actions: {
        mining: 'kill',
        tunnel: 'kill',
        'reverse-shell': 'kill',
        escape: 'kill',
        'credential-access': 'kill',
        persistence: 'alert',
        exfiltration: 'kill',
        'device-access': 'alert',
        recon: 'alert',
        'defense-evasion': 'alert',
        'resource-abuse': 'kill',
        policy: 'alert',
        'reward-tampering': 'alert',
      },
    },
    reward: { onRogue: -1, onSuspicious: 0.5, onTampered: -1 },
  },
  /** For a developer running a coding agent by hand: more room, same secrets hidden. */
  dev: {
    preset: 'dev',
    filesystem: { allowWrite: [], denyRead: [...ALWAYS_DENY_READ] },
    network: { allow: [], deny: [], hosts: {} },
    resources: { cpus: 2, memoryMB: 4096, pids: 1024, timeoutMs: 3_600_000, tmpMB: 1024 },
    devices: { gpu: false },
    env: { allow: [...DEFAULT_ENV_ALLOW, 'EDITOR', 'COLORTERM'], set: {} },
    detect: {
      actions: {
        mining: 'kill',
        tunnel: 'kill',
        'reverse-shell': 'kill',
        escape: 'kill',
        'credential-access': 'kill',
        'resource-abuse': 'alert',
      },
    },
    reward: { onRogue: -1, onSuspicious: 0.5, onTampered: -1 },
  },
  /** For RL rollouts at scale: lean limits, short timeouts, every rogue category stopped at once. */
  rollout: {
    preset: 'rollout',
    filesystem: { allowWrite: [], denyRead: [...ALWAYS_DENY_READ] },
    network: { allow: [], deny: [], hosts: {} },
    resources: { cpus: 1, memoryMB: 512, pids: 128, timeoutMs: 300_000, tmpMB: 128 },
    devices: { gpu: false },
    env: { allow: [...DEFAULT_ENV_ALLOW], set: {} },
    detect: {
      actions: {
        mining: 'kill',
        tunnel: 'kill',
        'reverse-shell': 'kill',
        escape: 'kill',
        'credential-access': 'kill',
        exfiltration: 'kill',
        'resource-abuse': 'kill',
        persistence: 'kill',
        'reward-tampering': 'kill',
      },
    },
    reward: { onRogue: -1, onSuspicious: 0.5, onTampered: -1 },
  },
};
