/**
 * The seams of the HTTP API: what the handlers need from the layers below, as small interfaces.
 * Handlers only see these, so they are tested with `app.request()` and fakes; runtime.ts wires
 * the real sandbox, audit store and detector behind them.
 */
import type { CordonEvent, EventBus, EventKind, Finding, Severity } from '../events/index.js';
import type { Policy } from '../policy/index.js';
import type { Verdict } from '../report/index.js';

export type SandboxStatus = 'running' | 'destroyed';

/** What the API says about a sandbox (the body of GET /v1/sandboxes/:id). */
export interface SandboxInfo {
  id: string;
  status: SandboxStatus;
  createdAt: number;
  expiresAt: number;
  endedAt?: number | undefined;
  /** Why it ended: `deleted`, `ttl`, `failed` or the responder's reason. */
  endReason?: string | undefined;
  episodeId?: string | undefined;
  labels: Record<string, string>;
  policyDigest: string;
  execCount: number;
}

export interface CreateSandboxRequest {
  policy: Policy;
  /** Workspace-relative path to file bytes, written before the sandbox starts. */
  files: Map<string, Uint8Array>;
  labels: Record<string, string>;
  episodeId?: string | undefined;
  ttlMs: number;
}

export interface ExecRequest {
  argv: string[];
  stdin?: Uint8Array | undefined;
  stepId: string;
  timeoutMs?: number | undefined;
  env?: Record<string, string> | undefined;
  cwd?: string | undefined;
}

/** One exec's outcome: a result and a failure share this shape, told apart by the flags. */
export interface ExecOutcome {
  stepId: string;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  killedByPolicy: boolean;
  oomKilled: boolean;
  pidsLimited: boolean;
  outputTruncated: boolean;
  durationMs: number;
  /** Findings raised while this step ran (attributed to its stepId). */
  findings: Finding[];
}

/** The API's view of the sandbox layer. */
export interface SandboxManager {
  create(request: CreateSandboxRequest): Promise<SandboxInfo>;
  get(id: string): SandboxInfo | undefined;
  list(): SandboxInfo[];
  exec(id: string, request: ExecRequest): Promise<ExecOutcome>;
  destroy(id: string, reason?: string): Promise<SandboxInfo | undefined>;
  writeFile(id: string, path: string, bytes: Uint8Array): Promise<void>;
  readFile(id: string, path: string): Promise<Uint8Array>;
  /** Destroys every sandbox (server shutdown). */
  close(): Promise<void>;
}

export interface EventFilter {
  sandboxId?: string | undefined;
  episodeId?: string | undefined;
  kinds?: EventKind[] | undefined;
  minSeverity?: Severity | undefined;
  afterSeq?: number | undefined;
  limit?: number | undefined;
}

export interface FindingFilter {
  sandboxId?: string | undefined;
  episodeId?: string | undefined;
  category?: string | undefined;
  minSeverity?: Severity | undefined;
  limit?: number | undefined;
}

/** A stored event with the sequence number the history gave it. */
export interface StoredEvent {
  seq: number;
  event: CordonEvent;
}

/** Past events and findings: the audit store, or an in-memory ring when there is none. */
export interface EventHistory {
  /** Makes everything published so far visible to `events()` (the audit store batches writes). */
  flush(): void;
  events(filter: EventFilter): StoredEvent[];
  findings(filter: FindingFilter): Finding[];
}

/** Everything createApp needs. */
export interface AppDeps {
  bus: EventBus;
  sandboxes: SandboxManager;
  history: EventHistory;
  /** Bearer token; absent means no authentication (handler tests only). */
  token?: string | undefined;
  verdictOf?: ((findings: Finding[]) => Verdict) | undefined;
  limits?: Partial<ServerLimits> | undefined;
}

export interface ServerLimits {
  /** JSON bodies (create carries workspace files). */
  jsonBodyBytes: number;
  /** PUT /files uploads. */
  uploadBytes: number;
  /** Largest TTL a sandbox may ask for. */
  maxTtlMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  jsonBodyBytes: 8 * 1024 * 1024,
  uploadBytes: 64 * 1024 * 1024,
  maxTtlMs: 24 * 3_600_000,
};
