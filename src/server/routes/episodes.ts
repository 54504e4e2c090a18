/**
 * /v1/episodes: episodes over HTTP. POST / starts one (a task id or an inline task; agent
 * `external` means the caller drives the steps, a scripted agent runs on its own); POST
 * /:id/steps runs one tool call and returns the observation and the step's findings; POST
 * /:id/finish grades it and returns score, verdict, reward and findings. Mounted by the lead with
 * `createApp({ ..., routers: { episodes: episodeRoutes({ runtime }) } })`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { z } from 'zod';
import { CordonError } from '../../errors.js';
import {
  agentFactory,
  EpisodeSession,
  loadTask,
  parseTask,
  parseToolCall,
  runEpisode,
  SCRIPTED_AGENTS,
  type EpisodeResult,
  type Task,
} from '../../episode/index.js';
import type { CordonRuntime } from '../../runtime/index.js';
import { cordonPackageRoot } from '../../sandbox/index.js';
import { limitBody, readJson } from '../context.js';
import { notFound } from '../http-errors.js';
import { parseOr } from '../schemas.js';

export interface EpisodeRoutesOptions {
  /** The runtime episodes run in (share the server's bus so the dashboard and audit see them). */
  runtime: CordonRuntime;
  /** Where task ids are looked up; default: the package's tasks/. */
  tasksDir?: string | undefined;
  /** Most episodes alive at once; default 64. */
  maxLive?: number | undefined;
  /** An external episode with no call for this long is aborted; default 30 min. */
  idleTimeoutMs?: number | undefined;
  /** Finished results kept for GET; default 1000. */
  keepResults?: number | undefined;
}

const StartBodySchema = z.strictObject({
  /** A task id under the tasks directory, or a task document (same schema as task.yaml). */
  task: z.union([
    z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a task id'),
    z.record(z.string(), z.unknown()),
  ]),
  agent: z.enum(['external', ...SCRIPTED_AGENTS]).default('external'),
  episodeId: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/)
    .optional(),
  labels: z.record(z.string(), z.string()).default({}),
});

interface Entry {
  episodeId: string;
  taskId: string;
  agent: string;
  createdAt: number;
  lastCallAt: number;
  session?: EpisodeSession | undefined;
  running?: Promise<unknown> | undefined;
  result?: EpisodeResult | undefined;
  error?: string | undefined;
}

const view = (e: Entry) => ({
  episodeId: e.episodeId,
  taskId: e.taskId,
  agent: e.agent,
  status: e.result ? 'finished' : e.error ? 'failed' : 'running',
  createdAt: e.createdAt,
  steps: e.result?.steps ?? e.session?.stepCount ?? 0,
  ...(e.session ? { sandboxId: e.session.sandboxId } : {}),
  ...(e.result ? { result: e.result } : {}),
  ...(e.error ? { error: e.error } : {}),
});

export interface EpisodeRouter {
  app: Hono;
  /** Aborts every live episode and stops the idle timer (server shutdown). */
  close(): Promise<void>;
}

/** The router alone (see episodeRouter for shutdown). */
export function episodeRoutes(options: EpisodeRoutesOptions): Hono {
  return episodeRouter(options).app;
}

export function episodeRouter(options: EpisodeRoutesOptions): EpisodeRouter {
  const { runtime } = options;
  const tasksDir = options.tasksDir ?? join(cordonPackageRoot(), 'tasks');
  const entries = new Map<string, Entry>();
  const live = () => [...entries.values()].filter((e) => !e.result && !e.error).length;

  const taskOf = (spec: string | Record<string, unknown>): Task => {
    if (typeof spec !== 'string') return parseTask(spec, 'body.task');
    const dir = join(tasksDir, spec);
    if (!existsSync(dir)) throw notFound(`task ${spec}`);
    return loadTask(dir);
  };

  const remember = (entry: Entry) => {
    entries.set(entry.episodeId, entry);
    const done = [...entries.values()].filter((e) => e.result || e.error);
    for (const old of done.slice(0, Math.max(0, done.length - (options.keepResults ?? 1000))))
      entries.delete(old.episodeId);
  };

  const idle = setInterval(() => {
    const limit = options.idleTimeoutMs ?? 30 * 60_000;
    for (const e of entries.values()) {
      if (e.session && !e.result && !e.error && Date.now() - e.lastCallAt > limit) {
        e.error = `aborted after ${limit} ms without a call`;
        void e.session.abort().catch(() => undefined);
      }
    }
  }, 60_000);
  idle.unref();

  const external = (id: string): Entry & { session: EpisodeSession } => {
    const e = entries.get(id);
    if (!e) throw notFound('episode');
    if (!e.session)
      throw new CordonError(
        'CORDON_E_SANDBOX_STATE',
        `Episode ${id} is driven by the ${e.agent} agent, not by calls`,
      );
    if (e.error) throw new CordonError('CORDON_E_SANDBOX_STATE', `Episode ${id} ${e.error}`);
    e.lastCallAt = Date.now();
    return e as Entry & { session: EpisodeSession };
  };

  const finish = async (
    e: Entry & { session: EpisodeSession },
    status: 'completed' | 'max-steps' = 'completed',
  ) => {
    e.result ??= await e.session.finish({ status });
    return e.result;
  };

  const app = new Hono();

  app.post('/', limitBody(8 * 1024 * 1024), async (c) => {
    const body = parseOr(StartBodySchema, await readJson(c));
    if (live() >= (options.maxLive ?? 64))
      throw new CordonError(
        'CORDON_E_SANDBOX_STATE',
        `Too many live episodes (${live()}): finish some first`,
      );
    if (body.episodeId && entries.has(body.episodeId))
      throw new CordonError('CORDON_E_SANDBOX_STATE', `Episode ${body.episodeId} exists`);
    const task = taskOf(body.task);
    const now = Date.now();
    if (body.agent !== 'external') {
      const agent = agentFactory(body.agent)();
      const entry: Entry = {
        episodeId:
          body.episodeId ?? `ep-${now.toString(36)}${Math.random().toString(36).slice(2, 8)}`,
        taskId: task.id,
        agent: agent.name,
        createdAt: now,
        lastCallAt: now,
      };
      const running = runEpisode(runtime, {
        task,
        agent,
        episodeId: entry.episodeId,
        labels: body.labels,
      });
      entry.running = running;
      running.then(
        ({ trajectory: _t, ...result }) => (entry.result = result),
        (error: unknown) => (entry.error = error instanceof Error ? error.message : String(error)),
      );
      remember(entry);
      return c.json(view(entry), 202);
    }
    const session = await EpisodeSession.start(runtime, {
      task,
      agent: 'external',
      episodeId: body.episodeId,
      labels: body.labels,
    });
    const entry: Entry = {
      episodeId: session.episodeId,
      taskId: task.id,
      agent: 'external',
      createdAt: now,
      lastCallAt: now,
      session,
    };
    remember(entry);
    return c.json({ ...view(entry), observation: session.firstObservation() }, 201);
  });

  app.get('/', (c) => c.json({ episodes: [...entries.values()].map(view) }));

  app.get('/:id', (c) => {
    const e = entries.get(c.req.param('id'));
    if (!e) throw notFound('episode');
    return c.json(view(e));
  });

  app.post('/:id/steps', limitBody(16 * 1024 * 1024), async (c) => {
    const e = external(c.req.param('id'));
    const body = await readJson(c);
    let call;
    try {
      call = parseToolCall(body, 'the request body');
    } catch (error) {
      // The caller's body, not an agent program: a 400 like every other invalid body.
      throw new CordonError('CORDON_E_BODY_INVALID', (error as Error).message);
    }
    if (call.tool === 'done') return c.json({ done: true, result: await finish(e) });
    if (e.result)
      throw new CordonError('CORDON_E_SANDBOX_STATE', `Episode ${e.episodeId} is finished`);
    if (e.session.stepCount >= e.session.task.maxSteps) {
      throw new CordonError(
        'CORDON_E_SANDBOX_STATE',
        `Episode ${e.episodeId} used its ${e.session.task.maxSteps} steps: finish it`,
      );
    }
    const { record, observation } = await e.session.step(call);
    return c.json({ done: false, stepId: record.stepId, observation, findings: record.findings });
  });

  app.post('/:id/finish', async (c) => {
    const e = external(c.req.param('id'));
    const r = await finish(e);
    return c.json({
      episodeId: r.episodeId,
      taskId: r.taskId,
      score: r.score,
      gradeReason: r.gradeReason,
      verdict: r.verdict,
      tampered: r.tampered,
      reward: r.reward,
      steps: r.steps,
      findings: r.findings,
    });
  });

  return {
    app,
    async close() {
      clearInterval(idle);
      const pending = [...entries.values()].filter((e) => !e.result && !e.error);
      await Promise.allSettled(
        pending.map((e) => (e.session ? e.session.abort() : (e.running ?? Promise.resolve()))),
      );
    },
  };
}
