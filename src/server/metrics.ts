/**
 * Prometheus metrics for GET /metrics: active sandboxes, flows by decision, findings by category
 * and an exec latency histogram. Counters are fed from the bus, so they count what every source
 * reported, not only what went through the API.
 */
import type { CordonEvent, EventBus } from '../events/index.js';

/** Exec latency buckets in seconds: a live-sandbox `true` is a few ms, agent tools take seconds. */
const EXEC_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class Metrics {
  readonly flows = new Map<string, number>();
  readonly findings = new Map<string, number>();
  private readonly bucketCounts = EXEC_BUCKETS.map(() => 0);
  private execCount = 0;
  private execSum = 0;
  private readonly off: () => void;

  constructor(bus: EventBus) {
    this.off = bus.subscribe((e) => this.onEvent(e), {
      filter: (e) => e.kind === 'finding' || (e.kind === 'net.flow' && e.phase === 'open'),
    });
  }

  private onEvent(event: CordonEvent): void {
    if (event.kind === 'net.flow') bump(this.flows, event.decision);
    else if (event.kind === 'finding') bump(this.findings, event.finding.category);
  }

  observeExec(seconds: number): void {
    this.execCount += 1;
    this.execSum += seconds;
    EXEC_BUCKETS.forEach((le, i) => {
      if (seconds <= le) this.bucketCounts[i] = (this.bucketCounts[i] ?? 0) + 1;
    });
  }

  /** The Prometheus text exposition format (version 0.0.4). */
  render(activeSandboxes: number): string {
    const lines: string[] = [
      '# HELP cordon_active_sandboxes Sandboxes currently running.',
      '# TYPE cordon_active_sandboxes gauge',
      `cordon_active_sandboxes ${activeSandboxes}`,
      '# HELP cordon_flows_total Network flows leaving sandboxes, by decision.',
      '# TYPE cordon_flows_total counter',
    ];
    for (const decision of ['allow', 'deny']) {
      lines.push(`cordon_flows_total{decision="${decision}"} ${this.flows.get(decision) ?? 0}`);
    }
    lines.push(
      '# HELP cordon_findings_total Detection findings, by category.',
      '# TYPE cordon_findings_total counter',
    );
    for (const [category, n] of [...this.findings].sort()) {
      lines.push(`cordon_findings_total{category="${escapeLabel(category)}"} ${n}`);
    }
    lines.push(
      '# HELP cordon_exec_duration_seconds Exec round trip through the API.',
      '# TYPE cordon_exec_duration_seconds histogram',
    );
    EXEC_BUCKETS.forEach((le, i) => {
      lines.push(`cordon_exec_duration_seconds_bucket{le="${le}"} ${this.bucketCounts[i] ?? 0}`);
    });
    lines.push(
      `cordon_exec_duration_seconds_bucket{le="+Inf"} ${this.execCount}`,
      `cordon_exec_duration_seconds_sum ${this.execSum}`,
      `cordon_exec_duration_seconds_count ${this.execCount}`,
    );
    return lines.join('\n') + '\n';
  }

  close(): void {
    this.off();
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
