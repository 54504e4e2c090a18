/**
 * One sandbox's timeline: its events grouped by step (tool call), in the order they happened, with
 * a flow's open and close folded into one row. Fed by the per-sandbox event stream. Pure data.
 */
import type { CordonEvent, Finding } from './types.js';

export interface StepGroup {
  /** The step id, or '' for events outside any step (background processes, teardown). */
  key: string;
  stepId?: string | undefined;
  startedAt: number;
  argv?: string[] | undefined;
  /** step.end's detail once the step has returned. */
  end?: Record<string, unknown> | undefined;
  /** Event ids in order; a flow's row is updated in place when it closes. */
  rows: string[];
  findings: Finding[];
}

const MAX_ROWS_PER_STEP = 2000;

export class SandboxTimeline {
  private readonly byId = new Map<string, CordonEvent>();
  private readonly groups = new Map<string, StepGroup>();
  /** flowId -> the event id of its row. */
  private readonly flowRows = new Map<string, string>();
  started?: CordonEvent | undefined;
  ended?: CordonEvent | undefined;
  lastSample?: Extract<CordonEvent, { kind: 'resource.sample' }> | undefined;

  constructor(readonly sandboxId: string) {}

  event(id: string): CordonEvent | undefined {
    return this.byId.get(id);
  }

  private group(stepId: string | undefined, ts: number): StepGroup {
    const key = stepId ?? '';
    let g = this.groups.get(key);
    if (!g) {
      g = { key, stepId, startedAt: ts, rows: [], findings: [] };
      this.groups.set(key, g);
    }
    return g;
  }

  /** Applies one event; returns whether the timeline changed. Replays are ignored by id. */
  apply(e: CordonEvent): boolean {
    if (e.sandboxId !== this.sandboxId || this.byId.has(e.id)) return false;
    this.byId.set(e.id, e);
    switch (e.kind) {
      case 'resource.sample':
        this.lastSample = e;
        return true;
      case 'sandbox.start':
        this.started = e;
        return true;
      case 'sandbox.end':
        this.ended = e;
        return true;
      case 'step.start': {
        const g = this.group(e.stepId, e.ts);
        g.startedAt = Math.min(g.startedAt, e.ts);
        const argv = e.detail?.['argv'];
        if (Array.isArray(argv)) g.argv = argv.map(String);
        return true;
      }
      case 'step.end':
        this.group(e.stepId, e.ts).end = e.detail ?? {};
        return true;
      case 'net.flow': {
        const g = this.group(e.stepId, e.ts);
        const earlier = this.flowRows.get(e.flowId);
        const at = earlier === undefined ? -1 : g.rows.indexOf(earlier);
        if (at >= 0) g.rows[at] = e.id;
        else this.push(g, e.id);
        this.flowRows.set(e.flowId, e.id);
        return true;
      }
      case 'finding': {
        const g = this.group(e.stepId, e.ts);
        g.findings.push(e.finding);
        this.push(g, e.id);
        return true;
      }
      default:
        this.push(this.group(e.stepId, e.ts), e.id);
        return true;
    }
  }

  private push(g: StepGroup, id: string): void {
    g.rows.push(id);
    if (g.rows.length <= MAX_ROWS_PER_STEP) return;
    // Drop the oldest row that is not a finding: findings are what a person came for.
    const i = g.rows.findIndex((r) => this.byId.get(r)?.kind !== 'finding');
    const [dropped] = g.rows.splice(i < 0 ? 0 : i, 1);
    if (dropped !== undefined) this.byId.delete(dropped);
  }

  /** Steps in the order they started; events outside any step come last. */
  steps(): StepGroup[] {
    return [...this.groups.values()].sort(
      (a, b) => Number(a.key === '') - Number(b.key === '') || a.startedAt - b.startedAt,
    );
  }

  /** 1-based position of a step among the steps seen. */
  ordinal(stepId: string | undefined): number | undefined {
    if (stepId === undefined) return undefined;
    const i = this.steps()
      .filter((g) => g.key !== '')
      .findIndex((g) => g.key === stepId);
    return i < 0 ? undefined : i + 1;
  }
}
