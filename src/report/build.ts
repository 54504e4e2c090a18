/**
 * Assembles a run's JSON report from what the run observed: its outcome, the events published on the
 * bus for its sandbox, the findings and which signals were live. Pure: the caller gathers the inputs.
 */
import type { CordonEvent, Finding } from '../events/index.js';
import type { Policy } from '../policy/index.js';
import { policyDigest } from '../policy/index.js';
import { ReportSchema, type Report, type Verdict } from './schema.js';

export interface ReportInput {
  sandboxId: string;
  episodeId?: string | undefined;
  labels?: Record<string, string>;
  command: string[];
  workspace: string;
  policy: Policy;
  policySource?: string | undefined;
  startedAt: Date;
  endedAt: Date;
  exit: Report['exit'];
  resources: Report['resources'];
  networkMode: Report['network']['mode'];
  /** Every event published for this sandbox during the run. */
  events: readonly CordonEvent[];
  findings: readonly Finding[];
  coverage: Report['coverage'];
  verdict: Verdict;
}

const strip = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export function buildReport(input: ReportInput): Report {
  const flows = new Map<string, Report['network']['flows'][number]>();
  const report: Report = {
    version: 1,
    sandboxId: input.sandboxId,
    ...(input.episodeId ? { episodeId: input.episodeId } : {}),
    labels: input.labels ?? {},
    command: input.command,
    workspace: input.workspace,
    policy: strip({
      preset: input.policy.preset,
      digest: policyDigest(input.policy),
      source: input.policySource,
    }),
    startedAt: input.startedAt.toISOString(),
    endedAt: input.endedAt.toISOString(),
    durationMs: input.endedAt.getTime() - input.startedAt.getTime(),
    exit: input.exit,
    resources: input.resources,
    limitEvents: [],
    deniedSyscalls: [],
    network: { mode: input.networkMode, flows: [], dns: [], drops: [] },
    coverage: input.coverage,
    verdict: input.verdict,
    findings: input.findings.map((f) => strip({ ...f })),
  };
  for (const e of input.events) {
    switch (e.kind) {
      case 'resource.limit':
        report.limitEvents.push(strip({ limit: e.limit, detail: e.detail, ts: e.ts, pid: e.pid }));
        break;
      case 'syscall':
        if (e.denied)
          report.deniedSyscalls.push(
            strip({
              syscall: e.syscall,
              pid: e.pid,
              exe: e.exe,
              ts: e.ts,
              nr: numberArg(e.args?.nr),
              argv: undefined,
            }),
          );
        break;
      case 'net.flow': {
        // The close event carries the final byte counts; it replaces the open one.
        const prev = flows.get(e.flowId);
        if (!prev || e.phase === 'close') {
          flows.set(
            e.flowId,
            strip({
              flowId: e.flowId,
              ts: prev?.ts ?? e.ts,
              pid: e.pid,
              exe: e.exe,
              host: e.host,
              address: e.address,
              port: e.port,
              protocol: e.protocol,
              sni: e.sni,
              httpHost: e.httpHost,
              details: e.details,
              decision: e.decision,
              rule: e.rule,
              bytesOut: e.bytesOut,
              bytesIn: e.bytesIn,
              durationMs: e.durationMs,
            }),
          );
        }
        break;
      }
      case 'net.dns':
        report.network.dns.push(
          strip({
            ts: e.ts,
            name: e.name,
            qtype: e.qtype,
            answer: e.answer,
            decision: e.decision,
            tunnelScore: e.tunnelScore,
            resolver: e.resolver,
          }),
        );
        break;
      case 'net.drop':
        report.network.drops.push(
          strip({ ts: e.ts, protocol: e.protocol, address: e.address, port: e.port }),
        );
        break;
      default:
        break;
    }
  }
  report.network.flows = [...flows.values()];
  return ReportSchema.parse(report);
}

function numberArg(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}
