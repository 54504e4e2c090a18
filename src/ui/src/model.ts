/**
 * The dashboard's picture of the whole server: every sandbox seen (running or ended), grouped by
 * episode, with its steps and findings. Fed by the global event stream (lifecycle + findings) and
 * by GET /v1/sandboxes. Pure data, no DOM: tested under node.
 */
import { episodeLabel, severityRank, verdictOf } from './format.js';
import type { CordonEvent, Finding, SandboxInfo, Severity, Verdict } from './types.js';

export interface SandboxEntry {
  id: string;
  episodeId?: string | undefined;
  status: 'running' | 'ended';
  startedAt: number;
  endedAt?: number | undefined;
  endReason?: string | undefined;
  labels: Record<string, string>;
  execCount: number;
  /** Step ids in the order they started (a step's ordinal is its index + 1). */
  steps: string[];
  findings: Finding[];
  lastActivity: number;
  /** Seen in GET /v1/sandboxes at least once: absence from a later list then means it ended. */
  listed: boolean;
}

export interface EpisodeGroup {
  key: string;
  label: string;
  episodeId?: string | undefined;
  sandboxes: SandboxEntry[];
  verdict: Verdict;
  findings: number;
  lastActivity: number;
}

export interface FindingFilter {
  /** '' for every category. */
  category: string;
  minSeverity: Severity;
}

export const NO_FILTER: FindingFilter = { category: '', minSeverity: 'info' };

const MAX_SANDBOXES = 2000;
const MAX_FINDINGS_PER_SANDBOX = 500;

export function findingPasses(f: Finding, filter: FindingFilter): boolean {
  if (filter.category !== '' && f.category !== filter.category) return false;
  return severityRank(f.severity) >= severityRank(filter.minSeverity);
}

export class DashboardModel {
  readonly sandboxes = new Map<string, SandboxEntry>();
  private readonly findingIds = new Set<string>();

  private entry(id: string, ts: number, episodeId?: string): SandboxEntry {
    let entry = this.sandboxes.get(id);
    if (!entry) {
      entry = {
        id,
        episodeId,
        status: 'running',
        startedAt: ts,
        labels: {},
        execCount: 0,
        steps: [],
        findings: [],
        lastActivity: ts,
        listed: false,
      };
      this.sandboxes.set(id, entry);
      this.evict();
    }
    entry.episodeId ??= episodeId;
    entry.lastActivity = Math.max(entry.lastActivity, ts);
    return entry;
  }

  /** Applies one streamed event; returns whether anything visible changed. */
  apply(e: CordonEvent): boolean {
    switch (e.kind) {
      case 'sandbox.start': {
        const entry = this.entry(e.sandboxId, e.ts, e.episodeId);
        entry.startedAt = Math.min(entry.startedAt, e.ts);
        return true;
      }
      case 'sandbox.end': {
        const entry = this.entry(e.sandboxId, e.ts, e.episodeId);
        entry.status = 'ended';
        entry.endedAt = e.ts;
        const reason = e.detail?.['reason'];
        if (typeof reason === 'string') entry.endReason = reason;
        return true;
      }
      case 'step.start': {
        const entry = this.entry(e.sandboxId, e.ts, e.episodeId);
        if (e.stepId === undefined || entry.steps.includes(e.stepId)) return false;
        entry.steps.push(e.stepId);
        entry.execCount = Math.max(entry.execCount, entry.steps.length);
        return true;
      }
      case 'finding': {
        const f = e.finding;
        if (this.findingIds.has(f.id)) return false;
        this.findingIds.add(f.id);
        const entry = this.entry(f.sandboxId, e.ts, f.episodeId);
        entry.findings.push(f);
        if (entry.findings.length > MAX_FINDINGS_PER_SANDBOX) entry.findings.shift();
        return true;
      }
      default:
        return false;
    }
  }

  /** Merges GET /v1/sandboxes (running ones): labels, counts, and which have ended meanwhile. */
  applyList(infos: readonly SandboxInfo[], now: number): void {
    const present = new Set<string>();
    for (const info of infos) {
      present.add(info.id);
      const entry = this.entry(info.id, info.createdAt, info.episodeId);
      entry.startedAt = Math.min(entry.startedAt, info.createdAt);
      entry.labels = { ...info.labels };
      entry.execCount = Math.max(entry.execCount, info.execCount);
      entry.listed = true;
      if (info.status === 'destroyed') {
        entry.status = 'ended';
        entry.endReason ??= info.endReason;
        entry.endedAt ??= info.endedAt;
      }
    }
    for (const entry of this.sandboxes.values()) {
      if (entry.status === 'running' && entry.listed && !present.has(entry.id)) {
        entry.status = 'ended';
        entry.endedAt ??= now;
      }
    }
  }

  /** 1-based position of a step in its sandbox, when its start was seen. */
  stepOrdinal(sandboxId: string, stepId: string | undefined): number | undefined {
    if (stepId === undefined) return undefined;
    const i = this.sandboxes.get(sandboxId)?.steps.indexOf(stepId) ?? -1;
    return i < 0 ? undefined : i + 1;
  }

  verdict(sandboxId: string): Verdict {
    return verdictOf(this.sandboxes.get(sandboxId)?.findings ?? []);
  }

  /** Episodes (and sandboxes without one), most recently active first. */
  episodes(): EpisodeGroup[] {
    const groups = new Map<string, EpisodeGroup>();
    for (const sb of this.sandboxes.values()) {
      const key = sb.episodeId === undefined ? '' : `ep:${sb.episodeId}`;
      let g = groups.get(key);
      if (!g) {
        g = {
          key,
          label: episodeLabel(sb.episodeId),
          episodeId: sb.episodeId,
          sandboxes: [],
          verdict: 'clean',
          findings: 0,
          lastActivity: 0,
        };
        groups.set(key, g);
      }
      g.sandboxes.push(sb);
      g.findings += sb.findings.length;
      g.lastActivity = Math.max(g.lastActivity, sb.lastActivity);
    }
    for (const g of groups.values()) {
      g.sandboxes.sort((a, b) => b.lastActivity - a.lastActivity);
      g.verdict = verdictOf(g.sandboxes.flatMap((s) => s.findings));
    }
    return [...groups.values()].sort((a, b) => b.lastActivity - a.lastActivity);
  }

  /** Findings across all sandboxes that pass the filter, newest first. */
  findings(filter: FindingFilter = NO_FILTER, limit = 200): Finding[] {
    const all: Finding[] = [];
    for (const sb of this.sandboxes.values()) {
      for (const f of sb.findings) if (findingPasses(f, filter)) all.push(f);
    }
    return all.sort((a, b) => b.ts - a.ts).slice(0, limit);
  }

  finding(id: string): Finding | undefined {
    if (!this.findingIds.has(id)) return undefined;
    for (const sb of this.sandboxes.values()) {
      const f = sb.findings.find((x) => x.id === id);
      if (f) return f;
    }
    return undefined;
  }

  counts(): { running: number; ended: number; byVerdict: Record<Verdict, number> } {
    const byVerdict: Record<Verdict, number> = { clean: 0, suspicious: 0, rogue: 0 };
    let running = 0;
    for (const sb of this.sandboxes.values()) {
      if (sb.status === 'running') running += 1;
      byVerdict[verdictOf(sb.findings)] += 1;
    }
    return { running, ended: this.sandboxes.size - running, byVerdict };
  }

  private evict(): void {
    if (this.sandboxes.size <= MAX_SANDBOXES) return;
    // Forget the least recently active ended sandbox; running ones always stay.
    let oldest: SandboxEntry | undefined;
    for (const sb of this.sandboxes.values()) {
      if (sb.status === 'ended' && (!oldest || sb.lastActivity < oldest.lastActivity)) oldest = sb;
    }
    if (!oldest) return;
    this.sandboxes.delete(oldest.id);
    for (const f of oldest.findings) this.findingIds.delete(f.id);
  }
}
