/**
 * Mapping cordon events to OCSF 1.1 for SIEM pipelines (the table is in docs/audit.md). Pure: one
 * audit record in, one OCSF event object out. cordon's own attribution (sandbox, episode, step,
 * seq, hash) travels in `unmapped` so nothing is lost.
 */
import type { CordonEvent, Severity } from '../events/index.js';
import type { AuditRecord } from './schema.js';

export const OCSF_VERSION = '1.1.0';

const SEVERITY_ID: Record<Severity, number> = { info: 1, low: 2, medium: 3, high: 4, critical: 5 };

type Ocsf = Record<string, unknown>;

interface ClassParts {
  category_uid: number;
  class_uid: number;
  activity_id: number;
  fields: Ocsf;
  severity_id?: number;
}

const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

function classify(e: CordonEvent): ClassParts {
  switch (e.kind) {
    case 'process.exec':
      return {
        category_uid: 1,
        class_uid: 1007, // Process Activity: Launch
        activity_id: 1,
        fields: {
          process: {
            pid: e.pid,
            name: basename(e.exe),
            cmd_line: e.argv.join(' '),
            file: { path: e.exe, name: basename(e.exe), type_id: 1 },
            ...(e.cwd !== undefined ? { working_directory: e.cwd } : {}),
            ...(e.uid !== undefined ? { user: { uid: String(e.uid) } } : {}),
            ...(e.ppid !== undefined ? { parent_process: { pid: e.ppid } } : {}),
          },
          actor: { process: e.ppid !== undefined ? { pid: e.ppid } : {} },
        },
      };
    case 'process.exit':
      return {
        category_uid: 1,
        class_uid: 1007, // Process Activity: Terminate
        activity_id: 2,
        fields: { process: { pid: e.pid }, actor: { process: {} }, exit_code: e.exitCode },
      };
    case 'net.flow': {
      const denied = e.decision === 'deny';
      return {
        category_uid: 4,
        class_uid: 4001, // Network Activity: Refuse (denied), Open, Close
        activity_id: denied ? 5 : e.phase === 'open' ? 1 : 2,
        fields: {
          action_id: denied ? 2 : 1,
          disposition_id: denied ? 2 : 1,
          connection_info: { protocol_name: 'tcp', direction_id: 2, uid: e.flowId },
          dst_endpoint: { ip: e.address, port: e.port, hostname: e.host ?? e.sni ?? e.httpHost },
          src_endpoint: { hostname: e.sandboxId },
          traffic: { bytes_out: e.bytesOut, bytes_in: e.bytesIn },
          duration: e.durationMs,
          app_name: e.protocol,
          ...(e.sni !== undefined ? { tls: { sni: e.sni } } : {}),
          ...(e.pid !== undefined ? { actor: { process: { pid: e.pid, name: e.exe } } } : {}),
        },
      };
    }
    case 'net.drop':
      return {
        category_uid: 4,
        class_uid: 4001, // Network Activity: Refuse
        activity_id: 5,
        fields: {
          action_id: 2,
          disposition_id: 2,
          connection_info: { protocol_name: e.protocol.toLowerCase(), direction_id: 2 },
          dst_endpoint: { ip: e.address, port: e.port },
          src_endpoint: { hostname: e.sandboxId },
        },
      };
    case 'net.dns':
      return {
        category_uid: 4,
        class_uid: 4003, // DNS Activity: Query
        activity_id: 1,
        fields: {
          action_id: e.decision === 'deny' ? 2 : 1,
          disposition_id: e.decision === 'deny' ? 2 : 1,
          query: { hostname: e.name, type: e.qtype },
          ...(e.answer !== undefined ? { answers: [{ rdata: e.answer }] } : {}),
          ...(e.resolver !== undefined ? { dst_endpoint: { ip: e.resolver, port: 53 } } : {}),
          src_endpoint: { hostname: e.sandboxId },
        },
      };
    case 'finding': {
      const f = e.finding;
      return {
        category_uid: 2,
        class_uid: 2004, // Detection Finding: Create
        activity_id: 1,
        severity_id: SEVERITY_ID[f.severity],
        fields: {
          status_id: 1,
          finding_info: {
            uid: f.id,
            title: f.reason,
            desc: f.reason,
            types: [f.category],
            analytic: { name: f.rule, uid: f.rule, type_id: 1 },
            attacks: f.attack.map((uid) => ({ technique: { uid } })),
            related_events: f.eventIds.map((uid) => ({ uid })),
          },
          evidences: [{ data: f.evidence }],
          ...(f.pid !== undefined
            ? { actor: { process: { pid: f.pid, name: f.exe, cmd_line: f.argv?.join(' ') } } }
            : {}),
          remediation: {
            desc: f.action,
            ...(f.actionTaken !== undefined ? { taken: f.actionTaken } : {}),
          },
        },
      };
    }
    case 'file.access':
    case 'syscall':
    case 'resource.limit':
    case 'resource.sample':
    case 'sandbox.start':
    case 'sandbox.end':
    case 'step.start':
    case 'step.end':
      return { category_uid: 0, class_uid: 0, activity_id: 99, fields: { message: e.kind } }; // Base Event: Other
  }
}

/** The OCSF event for one audit record. */
export function toOcsf(record: AuditRecord): Ocsf {
  const e = record.event;
  const parts = classify(e);
  return {
    class_uid: parts.class_uid,
    category_uid: parts.category_uid,
    activity_id: parts.activity_id,
    type_uid: parts.class_uid * 100 + parts.activity_id,
    severity_id: parts.severity_id ?? 1,
    time: record.ts,
    metadata: {
      version: OCSF_VERSION,
      product: { name: 'cordon', vendor_name: 'cordon' },
      uid: e.id,
      ...(record.episodeId !== undefined ? { correlation_uid: record.episodeId } : {}),
      log_name: 'cordon-audit',
      sequence: record.seq,
    },
    ...parts.fields,
    unmapped: {
      cordon: {
        kind: e.kind,
        sandbox_id: record.sandboxId,
        episode_id: record.episodeId,
        step_id: record.stepId,
        seq: record.seq,
        hash: record.hash,
        // Base Events carry the whole event; mapped classes carry what OCSF has no field for.
        ...(parts.class_uid === 0 ? { event: e } : {}),
      },
    },
  };
}
