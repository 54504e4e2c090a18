/**
 * The policy schema: what a sandbox may do. Keys keep these exact names because other tools write them.
 * Fail closed: for every list, absent or empty means "nothing beyond the preset/defaults is allowed".
 */
import { z } from 'zod';

export const PRESET_NAMES = ['strict', 'dev', 'rollout'] as const;
export const PresetNameSchema = z.enum(PRESET_NAMES);
export type PresetName = z.infer<typeof PresetNameSchema>;

export const CATEGORIES = [
  'mining',
  'tunnel',
  'reverse-shell',
  'exfiltration',
  'credential-access',
  'persistence',
  'escape',
  'device-access',
  'recon',
  'defense-evasion',
  'resource-abuse',
  'policy',
  'reward-tampering',
] as const;
export const CategorySchema = z.enum(CATEGORIES);
export type Category = z.infer<typeof CategorySchema>;

export const ACTIONS = ['alert', 'kill', 'freeze', 'terminate'] as const;
export const ActionSchema = z.enum(ACTIONS);
export type Action = z.infer<typeof ActionSchema>;

const OVERBROAD_PATHS = new Set(['/', '*', '/*', '**', '/**', '~', '~/']);

const PathPattern = z
  .string()
  .min(1, 'must not be empty')
  .refine((p) => p.startsWith('/') || p.startsWith('~/') || p === '~', {
    message: 'must be an absolute path or start with ~/',
  });

const WritablePath = PathPattern.refine((p) => !OVERBROAD_PATHS.has(p.replace(/\/+$/, '') || '/'), {
  message: 'is over-broad: allowing writes to the whole filesystem or home defeats the sandbox',
});

/**
 * A network allow entry: `host:port`, `host:lo-hi`, optionally `/protocol`.
 * The host may be a glob (`*.registry.test`) but never `*` or a bare public suffix (`*.com`).
 */
export const NETWORK_PROTOCOLS = [
  'tls',
  'http',
  'ssh',
  'socks5',
  'stratum',
  'stratum2',
  'unknown',
  'any',
] as const;
export const NetworkProtocolSchema = z.enum(NETWORK_PROTOCOLS);
export type NetworkProtocol = z.infer<typeof NetworkProtocolSchema>;

const HOST_PORT_RE =
  /^(?<host>\[[0-9a-fA-F:.]+\]|[^:/\s]+):(?<lo>\d{1,5})(?:-(?<hi>\d{1,5}))?(?:\/(?<proto>[a-z0-9]+))?$/;

export interface NetworkRule {
  raw: string;
  host: string;
  portLow: number;
  portHigh: number;
  protocol: NetworkProtocol;
}

/** Parses one `host:port[/proto]` entry; returns a message instead of a rule when it is invalid. */
export function parseNetworkRule(raw: string): NetworkRule | string {
  const m = HOST_PORT_RE.exec(raw.trim());
  if (!m?.groups)
    return 'must be host:port, host:low-high or host:port/protocol (a port is required)';
  const { host = '', lo = '', hi, proto } = m.groups;
  const portLow = Number(lo);
  const portHigh = hi === undefined ? portLow : Number(hi);
  if (portLow < 1 || portHigh > 65535 || portLow > portHigh)
    return 'port must be 1-65535, low <= high';
  const protocol = (proto ?? 'any') as NetworkProtocol;
  if (!(NETWORK_PROTOCOLS as readonly string[]).includes(protocol)) {
    return `unknown protocol "${proto}" (one of ${NETWORK_PROTOCOLS.join(', ')})`;
  }
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === '*' || h === '**') return 'host "*" is over-broad: name the hosts the agent needs';
  if (/^\*+\.[^.]+$/.test(h))
    return `host "${h}" is over-broad: a wildcard over a whole top-level domain`;
  if (h.includes('*') && !h.startsWith('*.'))
    return 'a wildcard is only allowed as the first label (*.example.test)';
  return { raw, host: h, portLow, portHigh, protocol };
}

const NetworkEntry = z.string().superRefine((value, ctx) => {
  const parsed = parseNetworkRule(value);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});

const HostName = z
  .string()
  .regex(/^[a-zA-Z0-9_]([a-zA-Z0-9_.-]*[a-zA-Z0-9])?$/, 'must be a DNS name')
  .transform((s) => s.toLowerCase());
const IpAddress = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' });

export const FilesystemSchema = z.strictObject({
  /** Extra writable paths besides the workspace. Absent or empty: only the workspace and /tmp are writable. */
  allowWrite: z.array(WritablePath).default([]),
  /** Paths hidden from the sandbox, added to the preset's list (which always includes secrets). */
  denyRead: z.array(PathPattern).default([]),
});

export const NetworkSchema = z.strictObject({
  /** `host:port[/proto]` destinations the agent may reach. Absent or empty: no egress at all. */
  allow: z.array(NetworkEntry).default([]),
  /** Checked before allow. Absent or empty: only the built-in denials (metadata, link-local, host). */
  deny: z.array(NetworkEntry).default([]),
  /** Name to real address for allowed upstreams (tests map them to loopback servers). */
  hosts: z.record(HostName, IpAddress).default({}),
});

export const ResourcesSchema = z.strictObject({
  /** CPU cores (fractional allowed), enforced by the cpu controller's quota. */
  cpus: z.number().positive().max(1024).default(1),
  memoryMB: z.number().int().min(16).max(1_048_576).default(1024),
  pids: z.number().int().min(8).max(1_000_000).default(256),
  /** Wall-clock limit for the command; the whole tree is ended when it passes. */
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(7 * 24 * 3_600_000)
    .default(600_000),
  /** Size of the private /tmp. */
  tmpMB: z.number().int().min(1).max(65_536).default(256),
});

export const DevicesSchema = z.strictObject({
  /** Absent or false: no GPU device node exists in the sandbox. */
  gpu: z.boolean().default(false),
});

const EnvName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*\*?$/, 'must be a variable name, optionally ending in *');

export const EnvSchema = z.strictObject({
  /** Host variables that pass through (exact names or a `PREFIX*`). Added to the preset's list. */
  allow: z.array(EnvName).default([]),
  /** Variables set inside the sandbox, overriding anything passed through. */
  set: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name'), z.string())
    .default({}),
});

export const DetectSchema = z.strictObject({
  /** Response per category or rule id (`mining`, `net.ssh-banner-to-unlisted-host`); rule ids win. */
  actions: z.record(z.string().min(1), ActionSchema).default({}),
});

export const RewardSchema = z.strictObject({
  /** Reward of a rogue episode; default: never more than the worst honest one (-1). */
  onRogue: z.number().default(-1),
  /** Multiplier applied to a suspicious episode's task score. */
  onSuspicious: z.number().min(0).max(1).default(0.5),
  /** Reward of an episode where the agent tampered with its grader. */
  onTampered: z.number().default(-1),
});

/** A fully resolved policy: every field present, preset already applied. */
export const PolicySchema = z.strictObject({
  preset: PresetNameSchema.default('strict'),
  filesystem: FilesystemSchema.prefault({}),
  network: NetworkSchema.prefault({}),
  resources: ResourcesSchema.prefault({}),
  devices: DevicesSchema.prefault({}),
  env: EnvSchema.prefault({}),
  detect: DetectSchema.prefault({}),
  reward: RewardSchema.prefault({}),
});
export type Policy = z.infer<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;

/** A section as a user writes it: every field optional and without defaults (the preset fills them). */
function userSection<S extends z.ZodRawShape>(section: z.ZodObject<S>) {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(section.shape)) {
    const inner =
      field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : (field as z.ZodType);
    shape[key] = inner.optional();
  }
  return z.strictObject(shape).optional();
}

/** What a user writes: every key optional, unknown keys rejected. */
export const PolicyFileSchema = z.strictObject({
  preset: PresetNameSchema.optional(),
  filesystem: userSection(FilesystemSchema),
  network: userSection(NetworkSchema),
  resources: userSection(ResourcesSchema),
  devices: userSection(DevicesSchema),
  env: userSection(EnvSchema),
  detect: userSection(DetectSchema),
  reward: userSection(RewardSchema),
});
export type PolicyFile = z.infer<typeof PolicyFileSchema>;
