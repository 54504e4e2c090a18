/**
 * Talking to `cordon serve`: the token (from the URL fragment `#token=…`, then sessionStorage),
 * authenticated GETs, and event streams. EventSource cannot set headers, so streams pass the token
 * as `?token=`, which the server accepts on /v1/events only.
 */
import type { CordonEvent, SandboxInfo } from './types.js';

const TOKEN_KEY = 'cordon.token';

/** Takes `#token=…` off the address bar (so it is not bookmarked or shared) and keeps it. */
export function readToken(): string | undefined {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const fromHash = params.get('token');
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(null, '', location.pathname + location.search);
    return fromHash;
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export class UnauthorizedError extends Error {}

async function getJson<T>(token: string, path: string): Promise<T> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token}` } });
  if (res.status === 401) throw new UnauthorizedError('The token was refused');
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export async function listSandboxes(token: string): Promise<SandboxInfo[]> {
  return (await getJson<{ sandboxes: SandboxInfo[] }>(token, '/v1/sandboxes')).sandboxes;
}

export type StreamState = 'connecting' | 'live' | 'retrying';

export interface StreamOptions {
  token: string;
  sandbox?: string | undefined;
  kinds?: readonly string[] | undefined;
  /** Replay stored events from the start before following live ones. */
  replay: boolean;
  onEvent(event: CordonEvent): void;
  onState(state: StreamState): void;
  /** The server refused the token: stop and ask for a new one. */
  onUnauthorized(): void;
}

/**
 * Follows /v1/events until the returned function is called. Reconnects on its own; replayed
 * events arrive again after a reconnect, so consumers ignore ids they have seen.
 */
export function followEvents(options: StreamOptions): () => void {
  const query = new URLSearchParams({ token: options.token });
  if (options.sandbox) query.set('sandbox', options.sandbox);
  if (options.kinds?.length) query.set('kind', options.kinds.join(','));
  if (options.replay) query.set('afterSeq', '0');
  const url = `/v1/events?${query.toString()}`;
  let source: EventSource | undefined;
  let retry: number | undefined;
  let stopped = false;

  const open = (): void => {
    options.onState('connecting');
    const s = new EventSource(url);
    source = s;
    s.addEventListener('ready', () => options.onState('live'));
    s.onmessage = (m: MessageEvent<string>) => {
      try {
        options.onEvent(JSON.parse(m.data) as CordonEvent);
      } catch {
        // A malformed frame is skipped; the stream goes on.
      }
    };
    s.onerror = () => {
      if (stopped) return;
      options.onState('retrying');
      if (s.readyState !== EventSource.CLOSED) return; // the browser retries by itself
      // Closed for good (e.g. HTTP 401): find out whether the token is at fault before retrying.
      void listSandboxes(options.token).then(
        () => (retry = window.setTimeout(open, 2000)),
        (error: unknown) => {
          if (error instanceof UnauthorizedError) options.onUnauthorized();
          else retry = window.setTimeout(open, 2000);
        },
      );
    };
  };
  open();
  return () => {
    stopped = true;
    window.clearTimeout(retry);
    source?.close();
  };
}
