/**
 * The API's sandbox registry: ids, workspaces, labels, TTL expiry, per-step findings and files,
 * over any `launch` function that starts a live sandbox (runtime.ts passes `Sandbox.create`).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CordonError } from '../errors.js';
import type { EventBus, Finding } from '../events/index.js';
import { policyDigest, type Policy } from '../policy/index.js';
import { readWorkspaceFile, writeWorkspaceFile } from './workspace-files.js';
import type {
  CreateSandboxRequest,
  ExecOutcome,
  ExecRequest,
  SandboxInfo,
  SandboxManager,
} from './types.js';

export interface LiveExecResult {
  exitCode: number | null;
  signal: string | null;
  stdout?: string | Uint8Array | undefined;
  stderr?: string | Uint8Array | undefined;
  timedOut: boolean;
  killedByPolicy: boolean;
  oomKilled?: boolean | undefined;
  pidsLimited?: boolean | undefined;
  outputTruncated?: boolean | undefined;
}

/** What the manager needs from a started sandbox. */
export interface LiveSandbox {
  exec(argv: string[], options: Omit<ExecRequest, 'argv'>): Promise<LiveExecResult>;
  destroy(reason: string): Promise<void>;
}

export interface LaunchOptions {
  id: string;
  policy: Policy;
  /** Host directory bound at /workspace, already holding the request's files. */
  workspace: string;
  labels: Record<string, string>;
  episodeId?: string | undefined;
  bus: EventBus;
}

export type LaunchFn = (options: LaunchOptions) => Promise<LiveSandbox>;

export interface ManagerOptions {
  bus: EventBus;
  launch: LaunchFn;
  /** Parent of the per-sandbox workspaces. */
  workspaceRoot: string;
  maxDownloadBytes?: number;
  /** How many ended sandboxes GET still answers for. */
  keepEnded?: number;
  /** Resolves once detection has acted on what is published so far (findings come after actions). */
  settle?: () => Promise<void>;
}

interface Entry {
  info: SandboxInfo;
  live: LiveSandbox;
  workspace: string;
  timer: NodeJS.Timeout;
  ending?: Promise<void>;
}

const decoder = new TextDecoder();
const text = (v: string | Uint8Array | undefined): string =>
  v === undefined ? '' : typeof v === 'string' ? v : decoder.decode(v);

export class WorkspaceSandboxManager implements SandboxManager {
  private readonly running = new Map<string, Entry>();
  private readonly ended = new Map<string, SandboxInfo>();
  private readonly offEnd: () => void;

  constructor(private readonly options: ManagerOptions) {
    // A responder may end a sandbox on its own (policy `terminate`): follow the sandbox layer's word.
    this.offEnd = options.bus.subscribe(
      (e) => {
        const entry = this.running.get(e.sandboxId);
        if (entry && !entry.ending) void this.destroy(e.sandboxId, 'ended').catch(() => {});
      },
      { filter: (e) => e.kind === 'sandbox.end' },
    );
  }

  async create(request: CreateSandboxRequest): Promise<SandboxInfo> {
    const id = randomBytes(6).toString('hex');
    const workspace = join(this.options.workspaceRoot, id);
    await mkdir(workspace, { recursive: true, mode: 0o700 });
    let live: LiveSandbox;
    try {
      for (const [path, bytes] of request.files) await writeWorkspaceFile(workspace, path, bytes);
      live = await this.options.launch({
        id,
        policy: request.policy,
        workspace,
        labels: request.labels,
        episodeId: request.episodeId,
        bus: this.options.bus,
      });
    } catch (error) {
      await rm(workspace, { recursive: true, force: true });
      throw error;
    }
    const now = Date.now();
    const info: SandboxInfo = {
      id,
      status: 'running',
      createdAt: now,
      expiresAt: now + request.ttlMs,
      episodeId: request.episodeId,
      labels: request.labels,
      policyDigest: policyDigest(request.policy),
      execCount: 0,
    };
    const timer = setTimeout(() => void this.destroy(id, 'ttl').catch(() => {}), request.ttlMs);
    timer.unref();
    this.running.set(id, { info, live, workspace, timer });
    return { ...info };
  }

  get(id: string): SandboxInfo | undefined {
    const info = this.running.get(id)?.info ?? this.ended.get(id);
    return info && { ...info };
  }

  list(): SandboxInfo[] {
    return [...this.running.values()].map((e) => ({ ...e.info }));
  }

  private runningEntry(id: string): Entry {
    const entry = this.running.get(id);
    if (entry && !entry.ending) return entry;
    if (entry || this.ended.has(id)) {
      throw new CordonError('CORDON_E_SANDBOX_STATE', `Sandbox ${id} has been destroyed`);
    }
    throw new CordonError('CORDON_E_NOT_FOUND', `No such sandbox: ${id}`);
  }

  async exec(id: string, request: ExecRequest): Promise<ExecOutcome> {
    const entry = this.runningEntry(id);
    entry.info.execCount += 1;
    const findings: Finding[] = [];
    const off = this.options.bus.subscribe(
      (e) => {
        if (e.kind === 'finding') findings.push(e.finding);
      },
      { filter: (e) => e.kind === 'finding' && e.sandboxId === id && e.stepId === request.stepId },
    );
    const started = performance.now();
    try {
      const { argv, ...rest } = request;
      const result = await entry.live.exec(argv, rest);
      const durationMs = performance.now() - started;
      // Findings published in the same tick as the exit (denied syscalls, the final flow) land first;
      // a finding with a kill or freeze is published only once the detector has carried it out.
      await new Promise((resolve) => setImmediate(resolve));
      await this.options.settle?.();
      return {
        stepId: request.stepId,
        exitCode: result.exitCode,
        signal: result.signal,
        stdout: text(result.stdout),
        stderr: text(result.stderr),
        timedOut: result.timedOut,
        killedByPolicy: result.killedByPolicy,
        oomKilled: result.oomKilled ?? false,
        pidsLimited: result.pidsLimited ?? false,
        outputTruncated: result.outputTruncated ?? false,
        durationMs: Math.round(durationMs * 1000) / 1000,
        findings,
      };
    } finally {
      off();
    }
  }

  async destroy(id: string, reason = 'deleted'): Promise<SandboxInfo | undefined> {
    const entry = this.running.get(id);
    if (!entry) return this.get(id);
    // Assigned before end() runs: the sandbox.end it publishes must see this sandbox as ending.
    entry.ending ??= Promise.resolve().then(() => this.end(id, entry, reason));
    await entry.ending;
    return this.get(id);
  }

  private async end(id: string, entry: Entry, reason: string): Promise<void> {
    clearTimeout(entry.timer);
    try {
      await entry.live.destroy(reason);
    } finally {
      await rm(entry.workspace, { recursive: true, force: true });
      this.running.delete(id);
      this.ended.set(id, {
        ...entry.info,
        status: 'destroyed',
        endedAt: Date.now(),
        endReason: reason,
      });
      const keep = this.options.keepEnded ?? 1000;
      for (const old of this.ended.keys()) {
        if (this.ended.size <= keep) break;
        this.ended.delete(old);
      }
    }
  }

  async writeFile(id: string, path: string, bytes: Uint8Array): Promise<void> {
    await writeWorkspaceFile(this.runningEntry(id).workspace, path, bytes);
  }

  async readFile(id: string, path: string): Promise<Uint8Array> {
    const max = this.options.maxDownloadBytes ?? 64 * 1024 * 1024;
    return readWorkspaceFile(this.runningEntry(id).workspace, path, max);
  }

  async close(): Promise<void> {
    this.offEnd();
    await Promise.allSettled([...this.running.keys()].map((id) => this.destroy(id, 'shutdown')));
  }
}
