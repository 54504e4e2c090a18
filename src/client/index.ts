/**
 * The typed TypeScript client of `cordon serve`. Errors come back as CordonError with the server's
 * code; `events()` is an async iterator over the SSE stream.
 *
 * @example
 * const cordon = new CordonClient({ url: 'http://127.0.0.1:7777', token });
 * const sb = await cordon.createSandbox({ labels: { episodeId: 'ep-1' } });
 * const r = await cordon.exec(sb.id, { command: 'echo hi', stepId: 'step-1' });
 * await cordon.destroy(sb.id);
 */
import type { z } from 'zod';
import {
  CordonError,
  ERROR_CODES,
  ValidationError,
  type ErrorCode,
  type Problem,
} from '../errors.js';
import type { CordonEvent, EventKind, Finding, Severity } from '../events/index.js';
import type {
  CreateSandboxBodySchema,
  ExecBodySchema,
  ExecOutcome,
  SandboxInfo,
  VerdictBodySchema,
} from '../server/index.js';
import { readSse } from './sse.js';
import {
  fetchTransport,
  nodeTransport,
  type Transport,
  type TransportResponse,
} from './transport.js';

export type CreateSandboxInput = z.input<typeof CreateSandboxBodySchema>;
export type ExecInput = z.input<typeof ExecBodySchema>;
export type VerdictResult = z.infer<typeof VerdictBodySchema>;
export type { ExecOutcome, SandboxInfo };

export interface CordonClientOptions {
  url: string;
  token: string;
  /** Sends every request when given. Default: node:http with keep-alive, and global fetch for the event stream. */
  fetch?: typeof fetch;
}

export interface FindingsQuery {
  sandboxId?: string;
  episodeId?: string;
  category?: string;
  severity?: Severity;
  limit?: number;
}

export interface EventsQuery {
  sandbox?: string;
  episode?: string;
  kinds?: EventKind[];
  minSeverity?: Severity;
  /** Replay stored events after this sequence number first. */
  afterSeq?: number;
  signal?: AbortSignal;
  /** Called once the server's live subscription is in place. */
  onReady?: () => void;
}

/** An event from the stream; replayed ones carry the store's `seq`. */
export type StreamedEvent = CordonEvent & { seq?: number };

function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter(
    (e): e is [string, string | number] => e[1] !== undefined,
  );
  return entries.length
    ? '?' +
        new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()
    : '';
}

export class CordonClient {
  private readonly base: string;
  private readonly fetch: typeof fetch;
  private readonly transport: Transport;

  constructor(private readonly options: CordonClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.fetch = options.fetch ?? globalThis.fetch;
    this.transport = options.fetch ? fetchTransport(options.fetch) : nodeTransport();
  }

  private async request(
    method: string,
    path: string,
    init: { json?: unknown; body?: Uint8Array | string } = {},
  ): Promise<TransportResponse> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.token}` };
    let body: string | Uint8Array | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.body !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      body = init.body;
    }
    const res = await this.transport({ method, url: this.base + path, headers, body });
    if (res.status < 200 || res.status >= 300) throw toError(res);
    return res;
  }

  private async json<T>(method: string, path: string, json?: unknown): Promise<T> {
    return JSON.parse((await this.request(method, path, { json })).body.toString('utf8')) as T;
  }

  createSandbox(input: CreateSandboxInput = {}): Promise<SandboxInfo> {
    return this.json('POST', '/v1/sandboxes', input);
  }

  /** Runs one step; `findings` lists what was raised during it. */
  exec(id: string, input: ExecInput): Promise<ExecOutcome> {
    return this.json('POST', `/v1/sandboxes/${encodeURIComponent(id)}/exec`, input);
  }

  async upload(
    id: string,
    path: string,
    data: Uint8Array | string,
  ): Promise<{ path: string; bytes: number }> {
    const res = await this.request(
      'PUT',
      `/v1/sandboxes/${encodeURIComponent(id)}/files${query({ path })}`,
      { body: data },
    );
    return JSON.parse(res.body.toString('utf8')) as { path: string; bytes: number };
  }

  async download(id: string, path: string): Promise<Uint8Array> {
    const res = await this.request(
      'GET',
      `/v1/sandboxes/${encodeURIComponent(id)}/files${query({ path })}`,
    );
    return new Uint8Array(res.body.buffer, res.body.byteOffset, res.body.length);
  }

  async list(): Promise<SandboxInfo[]> {
    return (await this.json<{ sandboxes: SandboxInfo[] }>('GET', '/v1/sandboxes')).sandboxes;
  }

  get(id: string): Promise<SandboxInfo> {
    return this.json('GET', `/v1/sandboxes/${encodeURIComponent(id)}`);
  }

  verdict(id: string): Promise<VerdictResult> {
    return this.json('GET', `/v1/sandboxes/${encodeURIComponent(id)}/verdict`);
  }

  async findings(filter: FindingsQuery = {}): Promise<Finding[]> {
    const q = query({ ...filter });
    return (await this.json<{ findings: Finding[] }>('GET', `/v1/findings${q}`)).findings;
  }

  destroy(id: string): Promise<SandboxInfo> {
    return this.json('DELETE', `/v1/sandboxes/${encodeURIComponent(id)}`);
  }

  /** Follows the event stream until `signal` aborts or the server closes it. */
  async *events(filter: EventsQuery = {}): AsyncGenerator<StreamedEvent> {
    const q = query({
      sandbox: filter.sandbox,
      episode: filter.episode,
      kind: filter.kinds?.join(','),
      minSeverity: filter.minSeverity,
      afterSeq: filter.afterSeq,
    });
    const res = await this.fetch(`${this.base}/v1/events${q}`, {
      headers: { authorization: `Bearer ${this.options.token}` },
      signal: filter.signal ?? null,
    });
    if (!res.ok) throw toError({ status: res.status, body: Buffer.from(await res.arrayBuffer()) });
    if (!res.body) return;
    try {
      for await (const frame of readSse(res.body)) {
        if (frame.event === 'ready') filter.onReady?.();
        else if (frame.event === 'message') yield JSON.parse(frame.data) as StreamedEvent;
      }
    } catch (error) {
      if (filter.signal?.aborted) return;
      throw error;
    }
  }
}

function toError(res: TransportResponse): CordonError {
  let body: { code?: string; message?: string; problems?: Problem[] } = {};
  try {
    body = JSON.parse(res.body.toString('utf8')) as typeof body;
  } catch {
    // not JSON: keep the status alone
  }
  const code = (
    body.code && body.code in ERROR_CODES ? body.code : 'CORDON_E_INTERNAL'
  ) as ErrorCode;
  const message = body.message ?? `HTTP ${res.status}`;
  if (body.problems) return new ValidationError(code, body.problems, message);
  return new CordonError(code, message, { details: { status: res.status } });
}
