/**
 * The shape of a detection rule: a pure, synchronous function of one event and the sandbox's
 * read-only state, with the metadata (id, category, severity, ATT&CK ids, reason) a report needs.
 */
import type { CordonEvent, EventKind, ProcessExecEvent, Severity } from '../events/index.js';
import type { Category } from '../policy/index.js';
import type { ReadonlyState } from './state.js';

/** What a rule saw: the evidence a person needs, and whom it concerns. */
export interface RuleHit {
  /** One human line, e.g. "stratum to pool.rogue.test:3333 denied, 0 bytes sent". */
  detail: string;
  evidence: Record<string, unknown>;
  pid?: number | undefined;
  exe?: string | undefined;
  argv?: string[] | undefined;
  /** Overrides the rule's severity for this hit (a listed host, a granted GPU). */
  severity?: Severity | undefined;
  /** Dedup key (with rule id and pid); defaults to the evidence. */
  key?: string | undefined;
  /** Other events that the finding rests on (a correlated flow). */
  eventIds?: string[] | undefined;
  /**
   * Host pids a `kill` acts on when the hit is about work rather than one process (what kept
   * running after the command returned). Ignored when `pid` is set.
   */
  pids?: number[] | undefined;
}

export interface Rule {
  /** `<ns>.<kebab>`, e.g. `net.ssh-to-unlisted-host`; the kebab part names the rule's file. */
  id: string;
  category: Category;
  severity: Severity;
  /** MITRE ATT&CK technique ids. */
  attack: string[];
  /** Why this matters, in one line. */
  reason: string;
  /** Event kinds the rule looks at; the detector runs it on nothing else. */
  kinds: EventKind[];
  check(event: CordonEvent, state: ReadonlyState): RuleHit | null;
}

/** The events whose kind overlaps K (lifecycle events share one interface for four kinds). */
type EventOf<K extends EventKind> = CordonEvent extends infer E
  ? E extends CordonEvent
    ? [Extract<E['kind'], K>] extends [never]
      ? never
      : E
    : never
  : never;

interface RuleSpec<K extends EventKind> extends Omit<Rule, 'kinds' | 'check'> {
  kinds: K[];
  check(event: EventOf<K>, state: ReadonlyState): RuleHit | null;
}

/**
 * Builds a rule whose `check` only ever sees the kinds it declares, typed as such.
 * @example defineRule({ id: 'proc.x', kinds: ['process.exec'], check: (e) => null, ... })
 */
export function defineRule<K extends EventKind>(spec: RuleSpec<K>): Rule {
  const kinds = spec.kinds;
  return {
    ...spec,
    kinds,
    check(event, state) {
      if (!(kinds as EventKind[]).includes(event.kind)) return null;
      return spec.check(event as EventOf<K>, state);
    },
  };
}

/** A hit about a process exec, with pid, exe and argv filled in. */
export function execHit(
  event: ProcessExecEvent,
  detail: string,
  evidence: Record<string, unknown> = {},
  extra: Partial<RuleHit> = {},
): RuleHit {
  return {
    detail,
    evidence: { commandLine: event.argv.join(' ').slice(0, 500), ...evidence },
    pid: event.pid,
    exe: event.exe,
    argv: event.argv.slice(0, 64),
    ...extra,
  };
}
