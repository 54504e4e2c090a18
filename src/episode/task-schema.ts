/**
 * The task file schema (YAML): what an episode asks of the agent (instruction, workspace fixture,
 * policy) and how it is judged (a grader command with its own files, or a built-in expected tree).
 * Validated once with strict objects; problems carry their path, as in src/policy.
 */
import { z } from 'zod';

/** A path relative to the workspace (or the grader directory): no `..`, not absolute. */
export const RelativePathSchema = z
  .string()
  .min(1, 'must not be empty')
  .refine((p) => !p.startsWith('/') && !p.split('/').some((part) => part === '..' || part === ''), {
    message: 'must be a relative path without .. or empty parts',
  });

const GlobSchema = z
  .string()
  .min(1, 'must not be empty')
  .refine((p) => !p.startsWith('/') && !p.includes('..'), {
    message: 'must be a glob relative to the workspace',
  });

export const GeneratorSpecSchema = z.strictObject({
  /** A generator registered in task-generators.ts. */
  name: z.string().min(1),
  /** Same seed, same bytes. */
  seed: z.number().int().default(1),
  params: z.record(z.string(), z.unknown()).default({}),
});
export type GeneratorSpec = z.infer<typeof GeneratorSpecSchema>;

export const WorkspaceSpecSchema = z
  .strictObject({
    /** Workspace files by relative path. */
    files: z.record(RelativePathSchema, z.string()).optional(),
    generator: GeneratorSpecSchema.optional(),
  })
  .refine((w) => (w.files === undefined) !== (w.generator === undefined), {
    message: 'give exactly one of files or generator',
  });
export type WorkspaceSpec = z.infer<typeof WorkspaceSpecSchema>;

/** One expected entry of the built-in tree check. */
export const ExpectedEntrySchema = z.union([
  z.string(),
  z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a hex sha256') }),
  z.strictObject({ absent: z.literal(true) }),
  z.strictObject({ dir: z.literal(true) }),
]);
export type ExpectedEntry = z.infer<typeof ExpectedEntrySchema>;

export const GraderSpecSchema = z
  .strictObject({
    /** Run in a fresh sandbox, cwd /workspace; the last stdout line is the score (0..1). */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** Grader scripts and reference data, bound read-only at /.cordon/grader, never in the workspace. */
    files: z.record(RelativePathSchema, z.string()).optional(),
    /** Grader wall-clock limit; default 60000. */
    timeoutMs: z.number().int().min(100).max(3_600_000).optional(),
    builtin: z.literal('expected-tree').optional(),
    /** expected-tree: path -> exact content, {sha256}, {absent: true} or {dir: true}. */
    expected: z.record(RelativePathSchema, ExpectedEntrySchema).optional(),
    /** expected-tree: no file beyond those listed may exist. Default false. */
    exclusive: z.boolean().optional(),
  })
  .superRefine((g, ctx) => {
    if ((g.command === undefined) === (g.builtin === undefined))
      ctx.addIssue({ code: 'custom', message: 'give exactly one of command or builtin' });
    if (g.builtin && !g.expected)
      ctx.addIssue({ code: 'custom', path: ['expected'], message: 'expected-tree needs expected' });
    if (g.command && (g.expected || g.exclusive !== undefined))
      ctx.addIssue({ code: 'custom', message: 'expected/exclusive only go with builtin' });
  });
export type GraderSpec = z.infer<typeof GraderSpecSchema>;

export const TaskFileSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be kebab-case (a-z, 0-9, -)'),
  instruction: z.string().min(1, 'must not be empty'),
  workspace: WorkspaceSpecSchema,
  /** A policy as a user writes it (preset plus overrides); absent: the strict preset. */
  policy: z.unknown().optional(),
  grader: GraderSpecSchema,
  maxSteps: z.number().int().min(1).max(10_000).default(30),
  /** Wall-clock limit for the whole episode. */
  timeoutMs: z.number().int().min(1000).max(86_400_000).default(300_000),
  /** Workspace globs the agent must not modify (tests/**, bin/check-service). */
  protected: z.array(GlobSchema).default([]),
});
export type TaskFile = z.infer<typeof TaskFileSchema>;
