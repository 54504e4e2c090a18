/**
 * Reading the audit store for the API, the dashboard and export: filtered event pages, findings
 * and a per-sandbox summary. Read-only; every filter value is a bound parameter.
 */
import type Database from 'better-sqlite3';
import { SEVERITIES, type EventKind, type Finding, type Severity } from '../events/index.js';
import { rowToRecord, type AuditRecord, type RecordRow } from './schema.js';

export const MAX_QUERY_LIMIT = 10_000;

export interface QueryFilter {
  sandboxId?: string;
  episodeId?: string;
  stepId?: string;
  kinds?: readonly EventKind[];
  /** Keeps only records with a severity (findings) at or above this one. */
  minSeverity?: Severity;
  /** Records with seq strictly greater (paging forward, or resuming a stream). */
  afterSeq?: number;
  /** Records with seq strictly smaller (paging backward with `order: 'desc'`). */
  beforeSeq?: number;
  sinceTs?: number;
  untilTs?: number;
  /** Default 1000, at most 10,000. */
  limit?: number;
  order?: 'asc' | 'desc';
}

export type FindingFilter = Omit<QueryFilter, 'kinds'>;

/** A finding with the seq of the record that holds it. */
export type StoredFinding = Finding & { seq: number };

export interface SandboxSummary {
  sandboxId: string;
  /** Labels from the sandbox.start event's `detail.labels`, when given. */
  labels: Record<string, string>;
  episodeIds: string[];
  firstTs: number;
  lastTs: number;
  /** Whether a sandbox.end record exists. */
  ended: boolean;
  events: number;
  counts: Partial<Record<EventKind, number>>;
  findings: number;
  worstSeverity: Severity | null;
}

/** `<column> >=` the first seq of the earliest batch holding a record at or after a ts (`?`). */
export function sinceSeqBound(column = 'seq'): string {
  return `${column} >= (SELECT COALESCE(MIN(first_seq), 0) FROM chain_batches WHERE max_ts >= ?)`;
}

interface QueryPlan {
  /** `records r`, or a span table joined to the records inside its spans. */
  from: string;
  where: string;
  params: unknown[];
  /** ORDER BY terms for ascending seq (spans of one key are disjoint and in seq order). */
  order: string[];
}

function plan(filter: QueryFilter): QueryPlan {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...values: unknown[]): void => {
    parts.push(sql);
    params.push(...values);
  };
  // No per-record index on sandbox or episode: read only the records inside the key's spans.
  const span =
    filter.sandboxId !== undefined
      ? { table: 'sandbox_spans', key: 'sandbox_id', value: filter.sandboxId }
      : filter.episodeId !== undefined
        ? { table: 'episode_spans', key: 'episode_id', value: filter.episodeId }
        : undefined;
  let from = 'records r';
  const order = ['r.seq'];
  if (span) {
    from = `${span.table} s JOIN records r ON r.seq BETWEEN s.first_seq AND s.last_seq`;
    order.unshift('s.first_seq');
    add(`s.${span.key} = ?`, span.value);
    if (filter.afterSeq !== undefined) add('s.last_seq > ?', filter.afterSeq);
    if (filter.beforeSeq !== undefined) add('s.first_seq < ?', filter.beforeSeq);
  }
  if (filter.sandboxId !== undefined) add('r.sandbox_id = ?', filter.sandboxId);
  if (filter.episodeId !== undefined) add('r.episode_id = ?', filter.episodeId);
  if (filter.stepId !== undefined) add('r.step_id = ?', filter.stepId);
  if (filter.kinds && filter.kinds.length > 0) {
    add(`r.kind IN (${filter.kinds.map(() => '?').join(',')})`, ...filter.kinds);
    // Only findings have a severity: this term lets SQLite use the partial findings index.
    if (filter.kinds.every((k) => k === 'finding')) add('r.severity IS NOT NULL');
  }
  if (filter.minSeverity !== undefined) {
    const allowed = SEVERITIES.slice(SEVERITIES.indexOf(filter.minSeverity));
    add(`r.severity IN (${allowed.map(() => '?').join(',')})`, ...allowed);
  }
  if (filter.afterSeq !== undefined) add('r.seq > ?', filter.afterSeq);
  if (filter.beforeSeq !== undefined) add('r.seq < ?', filter.beforeSeq);
  if (filter.sinceTs !== undefined) {
    add('r.ts >= ?', filter.sinceTs);
    // No index on ts (it cost a quarter of every insert): start the scan at the first batch that
    // holds a record this recent.
    add(sinceSeqBound('r.seq'), filter.sinceTs);
  }
  if (filter.untilTs !== undefined) add('r.ts < ?', filter.untilTs);
  return { from, where: parts.length ? ' WHERE ' + parts.join(' AND ') : '', params, order };
}

/** The SELECT behind `query` (exported for query-plan tests). */
export function querySql(filter: QueryFilter = {}): { sql: string; params: unknown[] } {
  const { from, where, params, order } = plan(filter);
  const direction = filter.order === 'desc' ? ' DESC' : '';
  const limit = Math.max(0, Math.min(filter.limit ?? 1000, MAX_QUERY_LIMIT));
  return {
    sql: `SELECT r.* FROM ${from}${where} ORDER BY ${order.map((o) => o + direction).join(', ')} LIMIT ?`,
    params: [...params, limit],
  };
}

/** Records matching every given filter field, ordered by seq. */
export function query(db: Database.Database, filter: QueryFilter = {}): AuditRecord[] {
  const { sql, params } = querySql(filter);
  return (db.prepare(sql).all(...params) as RecordRow[]).map(rowToRecord);
}

export function findings(db: Database.Database, filter: FindingFilter = {}): StoredFinding[] {
  return query(db, { ...filter, kinds: ['finding'] }).flatMap((r) =>
    r.event.kind === 'finding' ? [{ ...r.event.finding, seq: r.seq }] : [],
  );
}

function worse(a: Severity | null, b: Severity | null): Severity | null {
  if (a === null) return b;
  if (b === null) return a;
  return SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b) ? a : b;
}

/** One summary per sandbox, most recently active first. */
export function sandboxes(
  db: Database.Database,
  filter: { episodeId?: string } = {},
): SandboxSummary[] {
  const scope =
    filter.episodeId !== undefined
      ? ' WHERE sandbox_id IN (SELECT DISTINCT r.sandbox_id FROM episode_spans s JOIN records r ' +
        'ON r.seq BETWEEN s.first_seq AND s.last_seq WHERE s.episode_id = ? AND r.episode_id = ?)'
      : '';
  const params = filter.episodeId !== undefined ? [filter.episodeId, filter.episodeId] : [];
  const byId = new Map<string, SandboxSummary>();
  const groups = db
    .prepare(
      `SELECT sandbox_id, kind, COUNT(*) AS n, MIN(ts) AS first, MAX(ts) AS last, ` +
        `GROUP_CONCAT(DISTINCT severity) AS severities ` +
        `FROM records${scope} GROUP BY sandbox_id, kind`,
    )
    .all(...params) as {
    sandbox_id: string;
    kind: EventKind;
    n: number;
    first: number;
    last: number;
    severities: string | null;
  }[];
  for (const g of groups) {
    let s = byId.get(g.sandbox_id);
    if (!s) {
      s = {
        sandboxId: g.sandbox_id,
        labels: {},
        episodeIds: [],
        firstTs: g.first,
        lastTs: g.last,
        ended: false,
        events: 0,
        counts: {},
        findings: 0,
        worstSeverity: null,
      };
      byId.set(g.sandbox_id, s);
    }
    s.firstTs = Math.min(s.firstTs, g.first);
    s.lastTs = Math.max(s.lastTs, g.last);
    s.events += g.n;
    s.counts[g.kind] = g.n;
    if (g.kind === 'sandbox.end') s.ended = true;
    if (g.kind === 'finding') s.findings = g.n;
    for (const sev of g.severities?.split(',') ?? [])
      s.worstSeverity = worse(s.worstSeverity, sev as Severity);
  }
  const episodes = db
    .prepare(
      `SELECT DISTINCT sandbox_id, episode_id FROM records${scope || ' WHERE 1'} AND episode_id IS NOT NULL`,
    )
    .all(...params) as { sandbox_id: string; episode_id: string }[];
  for (const e of episodes) byId.get(e.sandbox_id)?.episodeIds.push(e.episode_id);
  const starts = db
    .prepare(`SELECT sandbox_id, body FROM records WHERE kind = 'sandbox.start'`)
    .all() as { sandbox_id: string; body: string }[];
  for (const start of starts) {
    const s = byId.get(start.sandbox_id);
    const detail = (JSON.parse(start.body) as { detail?: { labels?: unknown } }).detail;
    if (s && detail?.labels && typeof detail.labels === 'object') {
      s.labels = { ...(detail.labels as Record<string, string>) };
    }
  }
  return [...byId.values()].sort((a, b) => b.lastTs - a.lastTs);
}
