/** The audit store seen as the API's EventHistory (replay for SSE, findings, verdicts). */
import type { AuditStore } from '../audit/index.js';
import type { Finding } from '../events/index.js';
import type { EventFilter, EventHistory, FindingFilter, StoredEvent } from './types.js';

export function auditHistory(store: AuditStore): EventHistory {
  return {
    flush: () => void store.flush(),
    events: (f: EventFilter): StoredEvent[] =>
      store
        .query({
          sandboxId: f.sandboxId,
          episodeId: f.episodeId,
          kinds: f.kinds,
          minSeverity: f.minSeverity,
          afterSeq: f.afterSeq,
          limit: f.limit,
        })
        .map((r) => ({ seq: r.seq, event: r.event })),
    findings: (f: FindingFilter): Finding[] => {
      // The store has no category column: over-fetch, then filter here.
      const rows = store.findings({
        sandboxId: f.sandboxId,
        episodeId: f.episodeId,
        minSeverity: f.minSeverity,
        limit: f.category === undefined ? f.limit : 10_000,
      });
      const picked =
        f.category === undefined ? rows : rows.filter((r) => r.category === f.category);
      return picked.slice(0, f.limit ?? picked.length).map(({ seq: _seq, ...finding }) => finding);
    },
  };
}
