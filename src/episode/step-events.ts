/**
 * Collects one sandbox's events from the bus into per-step buckets: an event belongs to the step
 * it is attributed to, or (background processes, late flows) to the latest step before it.
 * Also keeps every finding published for the sandbox, whoever raised it.
 */
import type { CordonEvent, EventBus, Finding } from '../events/index.js';
import type { StepEvent } from './types.js';

const MAX_EVENTS_PER_STEP = 200;
const MAX_ARGV = 24;
const MAX_STRING = 300;
const NOISE = new Set(['resource.sample', 'step.start', 'step.end', 'sandbox.start']);

interface Bucket {
  events: StepEvent[];
  dropped: number;
  findings: Finding[];
}

/** An event without its ids and with long strings and argv cut, for trajectories. */
export function compactEvent(event: CordonEvent): StepEvent {
  if (event.kind === 'finding') {
    const f = event.finding;
    return { kind: 'finding', ts: event.ts, stepId: event.stepId, findingId: f.id, rule: f.rule };
  }
  const { id: _id, sandboxId: _sb, episodeId: _ep, ...rest } = event;
  const out: StepEvent = { ...rest };
  for (const [key, value] of Object.entries(out)) {
    if (typeof value === 'string' && value.length > MAX_STRING)
      out[key] = `${value.slice(0, MAX_STRING)}…`;
    if (key === 'argv' && Array.isArray(value)) {
      out[key] = (value as unknown[])
        .slice(0, MAX_ARGV)
        .map((a) =>
          typeof a === 'string' && a.length > MAX_STRING ? `${a.slice(0, MAX_STRING)}…` : a,
        );
    }
  }
  return out;
}

export class StepEvents {
  private readonly buckets = new Map<string, Bucket>();
  private readonly findingsById = new Map<string, Finding>();
  private current: string | undefined;
  private off: (() => void) | undefined;

  constructor(bus: EventBus, sandboxId: string) {
    this.off = bus.subscribe((e) => this.add(e), { filter: (e) => e.sandboxId === sandboxId });
  }

  /** Later events without a step of their own go to this one. */
  begin(stepId: string): void {
    this.current = stepId;
    this.buckets.set(stepId, { events: [], dropped: 0, findings: [] });
  }

  private add(event: CordonEvent): void {
    if (event.kind === 'finding') this.findingsById.set(event.finding.id, event.finding);
    const key = event.stepId && this.buckets.has(event.stepId) ? event.stepId : this.current;
    const bucket = key ? this.buckets.get(key) : undefined;
    if (!bucket) return;
    if (event.kind === 'finding') bucket.findings.push(event.finding);
    if (NOISE.has(event.kind)) return;
    if (bucket.events.length < MAX_EVENTS_PER_STEP) bucket.events.push(compactEvent(event));
    else bucket.dropped += 1;
  }

  /** What a step has collected so far (later events keep arriving until the next step). */
  of(stepId: string): Bucket {
    return this.buckets.get(stepId) ?? { events: [], dropped: 0, findings: [] };
  }

  /** Every finding published for the sandbox, in order. */
  findings(): Finding[] {
    return [...this.findingsById.values()];
  }

  close(): void {
    this.off?.();
    this.off = undefined;
  }
}
