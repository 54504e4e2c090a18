/**
 * The detector: subscribes to the bus, keeps per-sandbox state, runs the rules whose kinds match
 * each event, deduplicates hits, turns them into findings, carries out the policy's action through
 * the sandbox's responder and publishes each finding on the bus with what was done.
 */
import type { CordonEvent, EventBus, EventKind, Finding } from '../events/index.js';
import { newEventId } from '../events/index.js';
import type { Action, Policy } from '../policy/index.js';
import type { Rule, RuleHit } from './rule.js';
import { RULES } from './rules/index.js';
import { SandboxState } from './state.js';

/** What the sandbox offers the detector (pids are host pids, as in the events). */
export interface Responder {
  /** Kills the process and its descendants; true (or the pids killed) when something died. */
  killTree(pid: number): Promise<boolean | readonly number[]>;
  freeze(): Promise<void>;
  terminate(reason: string): Promise<void>;
}

export interface DetectorOptions {
  bus: EventBus;
  policyFor(sandboxId: string): Policy | undefined;
  responderFor(sandboxId: string): Responder | undefined;
  /** Defaults to the full rule pack. */
  rules?: readonly Rule[];
  /** A responder that does not answer in time counts as failed (ms, default 5000). */
  actionTimeoutMs?: number;
}

const MAX_FINDINGS_PER_SANDBOX = 10_000;
const MAX_KILL_TARGETS = 16;

interface SandboxEntry {
  state: SandboxState;
  findings: Finding[];
  seen: Set<string>;
}

/** The action for a rule: its id first, then its category, else alert. */
export function actionFor(policy: Policy | undefined, rule: Pick<Rule, 'id' | 'category'>): Action {
  const actions = policy?.detect.actions ?? {};
  return actions[rule.id] ?? actions[rule.category] ?? 'alert';
}

function stableKey(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
          )
        : v,
    );
  } catch {
    return String(value);
  }
}

export class Detector {
  private readonly byKind = new Map<EventKind, Rule[]>();
  private readonly sandboxes = new Map<string, SandboxEntry>();
  private readonly pending = new Set<Promise<void>>();
  private off: (() => void) | undefined;
  /** Rules that threw (a faulty rule never stops the others). */
  ruleErrors = 0;

  constructor(private readonly options: DetectorOptions) {
    for (const rule of options.rules ?? RULES) {
      for (const kind of rule.kinds) {
        const list = this.byKind.get(kind) ?? [];
        list.push(rule);
        this.byKind.set(kind, list);
      }
    }
  }

  /** Subscribes to the bus. Idempotent. */
  start(): void {
    this.off ??= this.options.bus.subscribe((event) => void this.observe(event), {
      filter: (e) => e.kind !== 'finding',
    });
  }

  stop(): void {
    this.off?.();
    this.off = undefined;
  }

  /** Findings so far for a sandbox, in order. */
  findings(sandboxId: string): Finding[] {
    return [...(this.sandboxes.get(sandboxId)?.findings ?? [])];
  }

  /** Read-only view of a sandbox's state (for tests and the API). */
  stateOf(sandboxId: string): SandboxState | undefined {
    return this.sandboxes.get(sandboxId)?.state;
  }

  /** Drops a sandbox's state and findings once its report is written. */
  forget(sandboxId: string): void {
    this.sandboxes.delete(sandboxId);
  }

  /** Resolves once every action started so far has finished and its finding is published. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /**
   * Folds one event into its sandbox's state and runs the matching rules. Returns the new findings
   * (their actions may still be running; see `settled()`). Never throws.
   */
  observe(event: CordonEvent): Finding[] {
    if (event.kind === 'finding' || typeof event.sandboxId !== 'string') return [];
    const entry = this.entry(event.sandboxId);
    try {
      entry.state.apply(event);
    } catch {
      this.ruleErrors += 1;
    }
    if (event.kind === 'sandbox.end') {
      // Keep the findings for the report; the state is no longer needed.
      entry.state = new SandboxState(event.sandboxId, entry.state.policy);
    }
    const out: Finding[] = [];
    for (const rule of this.byKind.get(event.kind) ?? []) {
      let hit: RuleHit | null;
      try {
        hit = rule.check(event, entry.state);
      } catch {
        this.ruleErrors += 1;
        continue;
      }
      if (!hit) continue;
      const key = `${rule.id}|${hit.pid ?? ''}|${hit.key ?? stableKey(hit.evidence)}`;
      if (entry.seen.has(key) || entry.findings.length >= MAX_FINDINGS_PER_SANDBOX) continue;
      entry.seen.add(key);
      const finding = this.toFinding(rule, hit, event, entry.state);
      entry.findings.push(finding);
      out.push(finding);
      this.respond(finding, hit, event, entry.state);
    }
    return out;
  }

  private entry(sandboxId: string): SandboxEntry {
    let entry = this.sandboxes.get(sandboxId);
    if (!entry) {
      let policy: Policy | undefined;
      try {
        policy = this.options.policyFor(sandboxId);
      } catch {
        policy = undefined;
      }
      entry = { state: new SandboxState(sandboxId, policy), findings: [], seen: new Set() };
      this.sandboxes.set(sandboxId, entry);
    }
    return entry;
  }

  private toFinding(rule: Rule, hit: RuleHit, event: CordonEvent, state: SandboxState): Finding {
    const proc = hit.pid === undefined ? undefined : state.process(hit.pid);
    const exe = hit.exe ?? proc?.exe;
    const argv = hit.argv ?? (proc ? [...proc.argv] : undefined);
    return {
      id: newEventId(),
      rule: rule.id,
      category: rule.category,
      severity: hit.severity ?? rule.severity,
      attack: [...rule.attack],
      reason: rule.reason,
      action: actionFor(state.policy, rule),
      ts: event.ts,
      sandboxId: event.sandboxId,
      ...(event.episodeId !== undefined ? { episodeId: event.episodeId } : {}),
      ...(event.stepId !== undefined ? { stepId: event.stepId } : {}),
      ...(hit.pid !== undefined ? { pid: hit.pid } : {}),
      ...(exe !== undefined ? { exe } : {}),
      ...(argv !== undefined ? { argv } : {}),
      evidence: { detail: hit.detail, ...hit.evidence },
      eventIds: [event.id, ...(hit.eventIds ?? []).filter((id) => id !== event.id)],
    };
  }

  /** Host pids to kill: the hit's pid when the state knows it, else live processes of its exe. */
  private killTargets(hit: RuleHit, event: CordonEvent, state: SandboxState): number[] {
    // cordon-init reports denied syscalls with namespace pids: never use those as host pids.
    const nsPid = event.kind === 'syscall' && event.denied;
    if (hit.pid !== undefined && (state.process(hit.pid) || !nsPid)) return [hit.pid];
    if (hit.pids?.length) return hit.pids.slice(0, MAX_KILL_TARGETS);
    const exe = hit.exe ?? (nsPid ? event.exe : undefined);
    return exe ? state.pidsOfExe(exe).slice(0, MAX_KILL_TARGETS) : [];
  }

  private respond(finding: Finding, hit: RuleHit, event: CordonEvent, state: SandboxState): void {
    const responder = this.options.responderFor(finding.sandboxId);
    const publish = (): void => {
      this.options.bus.publish({
        kind: 'finding',
        sandboxId: finding.sandboxId,
        episodeId: finding.episodeId,
        stepId: finding.stepId,
        finding,
      });
    };
    if (finding.action === 'alert') {
      finding.actionTaken = true;
      publish();
      return;
    }
    if (!responder) {
      finding.actionTaken = false;
      publish();
      return;
    }
    const work = this.carryOut(finding, responder, this.killTargets(hit, event, state));
    const timeoutMs = this.options.actionTimeoutMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref?.();
    });
    const done = Promise.race([work, timeout])
      .catch(() => false)
      .then((ok) => {
        clearTimeout(timer);
        finding.actionTaken = ok;
        publish();
      })
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  /** Starts the action synchronously (the kill is on its way before this returns). */
  private carryOut(finding: Finding, responder: Responder, targets: number[]): Promise<boolean> {
    switch (finding.action) {
      case 'kill': {
        if (targets.length === 0) return Promise.resolve(false);
        const kills = targets.map((pid) =>
          responder.killTree(pid).then(
            (r) => (Array.isArray(r) ? r.length > 0 : r === true),
            () => false,
          ),
        );
        return Promise.all(kills).then((results) => results.some(Boolean));
      }
      case 'freeze':
        return responder.freeze().then(() => true);
      case 'terminate': {
        const detail =
          typeof finding.evidence.detail === 'string' ? finding.evidence.detail : finding.reason;
        return responder
          .terminate(`${finding.severity} ${finding.category}: ${detail}`)
          .then(() => true);
      }
      case 'alert':
        return Promise.resolve(true);
    }
  }
}
