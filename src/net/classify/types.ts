/**
 * The classification contract: what a flow's first bytes say about its protocol. Shared by every
 * probe in this folder and by the transparent proxy that calls `classify()`.
 */

/** The proxy never reads more than this many bytes before it must decide. */
export const MAX_CLASSIFY_BYTES = 16 * 1024;

export type FlowProtocol =
  'tls' | 'http' | 'http-connect' | 'socks5' | 'ssh' | 'stratum' | 'stratum2' | 'unknown';

export interface ClassifyOptions {
  /** No more bytes will come (the deadline passed or the client closed): decide now. */
  final?: boolean;
}

export interface Classification {
  protocol: FlowProtocol;
  /** Enough bytes were seen to decide; when false (and not final) the caller should read more. */
  complete: boolean;
  sni?: string;
  alpn?: string[];
  httpHost?: string;
  method?: string;
  path?: string;
  websocket?: { subprotocol?: string };
  connectTarget?: { host: string; port: number };
  sshVersion?: string;
  stratumMethod?: string;
  details: Record<string, unknown>;
}

/** What one protocol probe concluded about the bytes seen so far. */
export type ProbeResult =
  /** Definitely not this protocol. */
  | { kind: 'no' }
  /** A consistent prefix of this protocol: more bytes are needed to tell. */
  | { kind: 'more' }
  /** This protocol (complete or not: a match may still want more bytes for its details). */
  | { kind: 'match'; result: Classification };

export const NO: ProbeResult = { kind: 'no' };
export const MORE: ProbeResult = { kind: 'more' };

export function match(result: Classification): ProbeResult {
  return { kind: 'match', result };
}
