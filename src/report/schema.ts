/**
 * The JSON report a run leaves behind. Its shape is a contract (docs/report.md,
 * schemas/report.schema.json): later features fill sections, they never rename them.
 */
import { z } from 'zod';
import { ActionSchema, CategorySchema } from '../policy/index.js';

export const SeveritySchema = z.enum(['info', 'low', 'medium', 'high', 'critical']);
export const VerdictSchema = z.enum(['clean', 'suspicious', 'rogue']);
export type Verdict = z.infer<typeof VerdictSchema>;

export const FindingSchema = z.object({
  id: z.string(),
  rule: z.string().describe('Rule id, e.g. net.ssh-banner-to-unlisted-host'),
  category: CategorySchema,
  severity: SeveritySchema,
  attack: z.array(z.string()).describe('MITRE ATT&CK technique ids'),
  reason: z.string(),
  action: ActionSchema,
  actionTaken: z.boolean().optional(),
  ts: z.number().describe('Milliseconds since the epoch'),
  sandboxId: z.string(),
  episodeId: z.string().optional(),
  stepId: z.string().optional(),
  pid: z.number().int().optional(),
  exe: z.string().optional(),
  argv: z.array(z.string()).optional(),
  evidence: z.record(z.string(), z.unknown()),
  eventIds: z.array(z.string()),
});

export const LimitEventSchema = z.object({
  limit: z.enum(['memory', 'pids', 'timeout', 'cpu', 'tmp']),
  detail: z.string(),
  ts: z.number(),
  pid: z.number().int().optional(),
});

export const DeniedSyscallSchema = z.object({
  syscall: z.string(),
  nr: z.number().int().optional(),
  pid: z.number().int(),
  exe: z.string().optional(),
  argv: z.array(z.string()).optional(),
  ts: z.number(),
});

export const FlowSchema = z.object({
  flowId: z.string(),
  ts: z.number(),
  pid: z.number().int().optional(),
  exe: z.string().optional(),
  host: z.string().optional(),
  address: z.string(),
  port: z.number().int(),
  protocol: z.string(),
  sni: z.string().optional(),
  httpHost: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
  decision: z.enum(['allow', 'deny']),
  rule: z.string(),
  bytesOut: z.number().int(),
  bytesIn: z.number().int(),
  durationMs: z.number(),
});

export const DnsQuerySchema = z.object({
  ts: z.number(),
  name: z.string(),
  qtype: z.string(),
  answer: z.string().optional(),
  decision: z.enum(['allow', 'deny']),
  tunnelScore: z.number(),
  resolver: z.string().optional(),
});

export const DropSchema = z.object({
  ts: z.number(),
  protocol: z.string(),
  address: z.string(),
  port: z.number().int().optional(),
});

export const SignalCoverageSchema = z.object({
  live: z.boolean(),
  source: z.string().optional(),
  reason: z.string().optional().describe('Why the signal was off'),
});

export const ReportSchema = z.object({
  version: z.literal(1),
  sandboxId: z.string(),
  episodeId: z.string().optional(),
  labels: z.record(z.string(), z.string()),
  command: z.array(z.string()),
  workspace: z.string(),
  policy: z.object({ preset: z.string(), digest: z.string(), source: z.string().optional() }),
  startedAt: z.string().describe('ISO 8601'),
  endedAt: z.string(),
  durationMs: z.number(),
  exit: z.object({
    code: z
      .number()
      .int()
      .nullable()
      .describe('Exit status of the command, null when killed by a signal'),
    signal: z.string().nullable(),
    timedOut: z.boolean(),
    killedByPolicy: z.boolean(),
    oomKilled: z.boolean(),
    reason: z.string().optional(),
  }),
  resources: z.object({
    cgroup: z.string().describe('v1, v2 or none'),
    cpuMs: z.number(),
    peakMemoryBytes: z.number(),
    peakPids: z.number().int(),
    peakGpuMemoryBytes: z
      .number()
      .optional()
      .describe('Most GPU memory its processes held at once; only when a GPU was granted'),
  }),
  limitEvents: z.array(LimitEventSchema),
  deniedSyscalls: z.array(DeniedSyscallSchema),
  network: z.object({
    mode: z.enum(['none', 'loopback', 'cordon']),
    flows: z.array(FlowSchema),
    dns: z.array(DnsQuerySchema),
    drops: z.array(DropSchema),
  }),
  coverage: z
    .record(z.string(), SignalCoverageSchema)
    .describe('Which signals were live during the run'),
  verdict: VerdictSchema,
  findings: z.array(FindingSchema),
});
export type Report = z.infer<typeof ReportSchema>;

/** The report's JSON Schema, published as schemas/report.schema.json. */
export function reportJsonSchema(): unknown {
  return z.toJSONSchema(ReportSchema, { target: 'draft-2020-12' });
}
