/**
 * An in-memory EventHistory fed by the bus: a bounded ring of recent events with sequence numbers.
 * Used when no audit store is configured (tests, `serve --no-audit`); the audit store replaces it.
 */
import { SEVERITIES, type CordonEvent, type EventBus, type Finding } from '../events/index.js';
import type { EventFilter, EventHistory, FindingFilter, StoredEvent } from './types.js';

export function severityRank(severity: string): number {
  return SEVERITIES.indexOf(severity as (typeof SEVERITIES)[number]);
}

/** Whether one event passes a filter (sequence bounds aside); shared by replay and live SSE. */
export function eventMatches(event: CordonEvent, filter: EventFilter): boolean {
  if (filter.sandboxId !== undefined && event.sandboxId !== filter.sandboxId) return false;
  if (filter.episodeId !== undefined && event.episodeId !== filter.episodeId) return false;
  if (filter.kinds?.length && !filter.kinds.includes(event.kind)) return false;
  // As in the audit store, only findings carry a severity: a severity filter keeps findings only.
  if (filter.minSeverity !== undefined) {
    if (event.kind !== 'finding') return false;
    return severityRank(event.finding.severity) >= severityRank(filter.minSeverity);
  }
  return true;
}

export function findingMatches(finding: Finding, filter: FindingFilter): boolean {
  if (filter.sandboxId !== undefined && finding.sandboxId !== filter.sandboxId) return false;
  if (filter.episodeId !== undefined && finding.episodeId !== filter.episodeId) return false;
  if (filter.category !== undefined && finding.category !== filter.category) return false;
  if (filter.minSeverity !== undefined) {
    return severityRank(finding.severity) >= severityRank(filter.minSeverity);
  }
  return true;
}

export class MemoryHistory implements EventHistory {
  private readonly ring: StoredEvent[] = [];
  private seq = 0;
  private readonly off: () => void;

  constructor(
    bus: EventBus,
    private readonly capacity = 50_000,
  ) {
    this.off = bus.subscribe((event) => {
      this.seq += 1;
      this.ring.push({ seq: this.seq, event });
      if (this.ring.length > this.capacity) this.ring.shift();
    });
  }

  flush(): void {}

  events(filter: EventFilter): StoredEvent[] {
    const after = filter.afterSeq ?? 0;
    const limit = filter.limit ?? Infinity;
    const out: StoredEvent[] = [];
    for (const stored of this.ring) {
      if (stored.seq <= after || !eventMatches(stored.event, filter)) continue;
      out.push(stored);
      if (out.length >= limit) break;
    }
    return out;
  }

  findings(filter: FindingFilter): Finding[] {
    const out: Finding[] = [];
    for (const { event } of this.ring) {
      if (event.kind === 'finding' && findingMatches(event.finding, filter))
        out.push(event.finding);
    }
    return filter.limit === undefined ? out : out.slice(-filter.limit);
  }

  close(): void {
    this.off();
  }
}
