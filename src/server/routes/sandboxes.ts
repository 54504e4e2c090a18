/**
 * /v1/sandboxes: create, list, get, exec (a step), upload and download files, verdict, destroy.
 */
import { Hono } from 'hono';
import { ValidationError } from '../../errors.js';
import { newEventId } from '../../events/index.js';
import { resolvePolicy, type Policy } from '../../policy/index.js';
import { limitBody, readBody, readJson, type ServerContext } from '../context.js';
import { notFound } from '../http-errors.js';
import {
  CreateSandboxBodySchema,
  ExecBodySchema,
  FilePathQuerySchema,
  parseOr,
  type CreateSandboxBody,
} from '../schemas.js';
import { severityRank } from '../memory-history.js';
import { workspaceSegments } from '../workspace-files.js';

function policyFrom(body: CreateSandboxBody): Policy {
  try {
    return resolvePolicy(body.policy ?? {});
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const problems = error.problems.map((p) => ({ ...p, path: `policy.${p.path}` }));
    throw new ValidationError('CORDON_E_POLICY_INVALID', problems);
  }
}

function filesFrom(body: CreateSandboxBody): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const [path, content] of Object.entries(body.files)) {
    workspaceSegments(path);
    files.set(
      path,
      typeof content === 'string'
        ? Buffer.from(content, 'utf8')
        : Buffer.from(content.base64, 'base64'),
    );
  }
  return files;
}

export function sandboxRoutes(ctx: ServerContext): Hono {
  const { sandboxes, history } = ctx.deps;
  const app = new Hono();

  app.post('/', limitBody(ctx.limits.jsonBodyBytes), async (c) => {
    const body = parseOr(CreateSandboxBodySchema, await readJson(c));
    if (body.ttlMs > ctx.limits.maxTtlMs) {
      throw new ValidationError('CORDON_E_BODY_INVALID', [
        { path: 'ttlMs', message: `must be at most ${ctx.limits.maxTtlMs}` },
      ]);
    }
    const info = await sandboxes.create({
      policy: policyFrom(body),
      files: filesFrom(body),
      labels: body.labels,
      episodeId: body.labels.episodeId,
      ttlMs: body.ttlMs,
    });
    return c.json(info, 201);
  });

  app.get('/', (c) => c.json({ sandboxes: sandboxes.list() }));

  app.get('/:id', (c) => {
    const info = sandboxes.get(c.req.param('id'));
    if (!info) throw notFound('sandbox');
    return c.json(info);
  });

  app.delete('/:id', async (c) => {
    const info = await sandboxes.destroy(c.req.param('id'), 'deleted');
    if (!info) throw notFound('sandbox');
    return c.json(info);
  });

  app.post('/:id/exec', limitBody(ctx.limits.jsonBodyBytes), async (c) => {
    const body = parseOr(ExecBodySchema, await readJson(c));
    const argv = body.argv ?? ['sh', '-c', body.command ?? ''];
    const outcome = await sandboxes.exec(c.req.param('id'), {
      argv,
      stdin: body.stdin === undefined ? undefined : Buffer.from(body.stdin, 'utf8'),
      stepId: body.stepId ?? 'step-' + newEventId(),
      timeoutMs: body.timeoutMs,
      env: body.env,
      cwd: body.cwd,
    });
    ctx.metrics.observeExec(outcome.durationMs / 1000);
    return c.json(outcome);
  });

  app.put('/:id/files', limitBody(ctx.limits.uploadBytes), async (c) => {
    const { path } = parseOr(FilePathQuerySchema, c.req.query());
    const bytes = await readBody(c);
    await sandboxes.writeFile(c.req.param('id'), path, bytes);
    return c.json({ path, bytes: bytes.length });
  });

  app.get('/:id/files', async (c) => {
    const { path } = parseOr(FilePathQuerySchema, c.req.query());
    const bytes = await sandboxes.readFile(c.req.param('id'), path);
    return c.body(new Uint8Array(bytes), 200, {
      'Content-Type': 'application/octet-stream',
    });
  });

  app.get('/:id/verdict', (c) => {
    const sandboxId = c.req.param('id');
    history.flush();
    const findings = history.findings({ sandboxId });
    if (!sandboxes.get(sandboxId) && findings.length === 0) throw notFound('sandbox');
    const bySeverity: Record<string, number> = {};
    for (const f of findings) bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
    return c.json({
      sandboxId,
      verdict: ctx.verdictOf(findings),
      findings: findings.length,
      bySeverity,
    });
  });

  return app;
}

/** Fallback when the detect layer is not wired: rogue on high/critical, suspicious on medium. */
export function worstSeverityVerdict(
  findings: { severity: string }[],
): 'clean' | 'suspicious' | 'rogue' {
  const worst = Math.max(-1, ...findings.map((f) => severityRank(f.severity)));
  if (worst >= severityRank('high')) return 'rogue';
  if (worst >= severityRank('medium')) return 'suspicious';
  return 'clean';
}
