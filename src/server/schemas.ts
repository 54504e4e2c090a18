/**
 * The API's request and response schemas (zod). Requests are validated once, here, with strict
 * objects; the same schemas generate /v1/openapi.json.
 */
import { z } from 'zod';
import type { EventKind } from '../events/index.js';
import { ValidationError } from '../errors.js';
import { CATEGORIES, PolicyFileSchema, zodProblems } from '../policy/index.js';
import { FindingSchema, SeveritySchema, VerdictSchema } from '../report/index.js';

/** Every event kind on the bus, for the `kind` filter of GET /v1/events. */
export const EVENT_KINDS = [
  'process.exec',
  'process.exit',
  'file.access',
  'syscall',
  'net.flow',
  'net.dns',
  'net.drop',
  'resource.limit',
  'resource.sample',
  'sandbox.start',
  'sandbox.end',
  'step.start',
  'step.end',
  'finding',
] as const satisfies readonly EventKind[];

const Id = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1-128 of A-Z a-z 0-9 _ . : -');

/** A workspace file: a UTF-8 string, or `{base64}` for binary content. */
export const FileContentSchema = z.union([
  z.string(),
  z.strictObject({ base64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64') }),
]);

export const CreateSandboxBodySchema = z.strictObject({
  /** A policy as a user writes it (same schema as policy files and the CLI); absent: strict preset. */
  policy: PolicyFileSchema.optional(),
  /** Workspace-relative paths to content, written before the sandbox starts. */
  files: z.record(z.string().min(1).max(4096), FileContentSchema).default({}),
  /** Free labels; `episodeId` attributes every event of the sandbox to an episode. */
  labels: z
    .record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a label name'), z.string().max(256))
    .default({}),
  /** The sandbox is destroyed when this ends (default one hour). */
  ttlMs: z.number().int().min(1000).default(3_600_000),
});
export type CreateSandboxBody = z.infer<typeof CreateSandboxBodySchema>;

export const ExecBodySchema = z
  .strictObject({
    /** The program and its arguments, run without a shell. */
    argv: z.array(z.string()).min(1).optional(),
    /** A shell command line, run as `sh -c command`. */
    command: z.string().min(1).optional(),
    /** UTF-8 text written to the command's stdin. */
    stdin: z.string().optional(),
    /** The step (tool call) id every event of this exec carries; generated when absent. */
    stepId: Id.optional(),
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3_600_000)
      .optional(),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).optional(),
    cwd: z.string().min(1).optional(),
  })
  .refine((b) => (b.argv === undefined) !== (b.command === undefined), {
    message: 'give exactly one of argv or command',
  });
export type ExecBody = z.infer<typeof ExecBodySchema>;

export const SandboxSchema = z.object({
  id: z.string(),
  status: z.enum(['running', 'destroyed']),
  createdAt: z.number(),
  expiresAt: z.number(),
  endedAt: z.number().optional(),
  endReason: z.string().optional(),
  episodeId: z.string().optional(),
  labels: z.record(z.string(), z.string()),
  policyDigest: z.string(),
  execCount: z.number().int(),
});

export const ExecResultSchema = z.object({
  stepId: z.string(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  timedOut: z.boolean(),
  killedByPolicy: z.boolean(),
  oomKilled: z.boolean(),
  pidsLimited: z.boolean(),
  outputTruncated: z.boolean(),
  durationMs: z.number(),
  findings: z.array(FindingSchema),
});

export const VerdictBodySchema = z.object({
  sandboxId: z.string(),
  verdict: VerdictSchema,
  findings: z.number().int(),
  bySeverity: z.record(z.string(), z.number().int()),
});

export const ErrorBodySchema = z.object({
  statusCode: z.number().int(),
  code: z.string(),
  error: z.string(),
  message: z.string(),
  problems: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export const FindingsQuerySchema = z.strictObject({
  sandboxId: Id.optional(),
  episodeId: z.string().max(256).optional(),
  category: z.enum(CATEGORIES).optional(),
  severity: SeveritySchema.optional().describe('Minimum severity'),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

export const EventsQuerySchema = z.strictObject({
  sandbox: Id.optional(),
  episode: z.string().max(256).optional(),
  /** Comma-separated event kinds (`net.flow,finding`). */
  kind: z
    .string()
    .max(512)
    .transform((s) =>
      s
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(EVENT_KINDS)))
    .optional(),
  minSeverity: SeveritySchema.optional(),
  /** Replay stored events after this sequence number, then follow live. */
  afterSeq: z.coerce.number().int().min(0).optional(),
  token: z
    .string()
    .optional()
    .describe('Bearer token, for EventSource clients that cannot set headers'),
});

export const FilePathQuerySchema = z.strictObject({
  path: z.string().min(1).max(4096),
});

/** Parses `input` or throws a ValidationError naming every problem. */
export function parseOr<T extends z.ZodType>(
  schema: T,
  input: unknown,
  code: 'CORDON_E_BODY_INVALID' | 'CORDON_E_POLICY_INVALID' = 'CORDON_E_BODY_INVALID',
): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = zodProblems(result.error);
    const isPolicy = problems.every((p) => p.path.startsWith('policy'));
    throw new ValidationError(isPolicy ? 'CORDON_E_POLICY_INVALID' : code, problems);
  }
  return result.data;
}
