/**
 * HTTP/1.x request probe: request line (any method token), Host, WebSocket upgrade and
 * subprotocol, CONNECT authority, and absolute-form targets sent by proxy-aware tools.
 */
import {
  MAX_CLASSIFY_BYTES,
  MORE,
  NO,
  match,
  type Classification,
  type ProbeResult,
} from './types.js';

const MAX_HEADERS = 100;
const REQUEST_LINE = /^([A-Z][A-Z0-9_-]{0,31}) ([\x21-\x7e]+) HTTP\/(\d\.\d)\r?$/;
// Every prefix of a request line: lets the probe say "more" without guessing.
const REQUEST_LINE_PREFIX =
  /^[A-Z][A-Z0-9_-]{0,31}(?: [\x21-\x7e]*(?: (?:H(?:T(?:T(?:P(?:\/(?:\d(?:\.(?:\d\r?)?)?)?)?)?)?)?)?)?)?$/;

/** Splits `host:port` or `[v6]:port`; undefined when it is not an authority. */
export function parseAuthority(raw: string): { host: string; port: number } | undefined {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(raw) ?? /^([^:[\]\s/@]+):(\d{1,5})$/.exec(raw);
  if (!m?.[1] || !m[2]) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1].toLowerCase(), port };
}

function stripPort(host: string): string {
  const v6 = /^\[([^\]]*)\]/.exec(host);
  if (v6?.[1] !== undefined) return v6[1];
  const i = host.lastIndexOf(':');
  return (i > 0 && /^\d+$/.test(host.slice(i + 1)) ? host.slice(0, i) : host).toLowerCase();
}

export function probeHttp(buf: Buffer, final: boolean): ProbeResult {
  if (buf.length === 0) return MORE;
  const first = buf[0] ?? 0;
  if (first < 0x41 || first > 0x5a) return NO; // methods start with an upper-case letter
  const text = buf.toString('latin1');
  const nl = text.indexOf('\n');
  if (nl < 0) {
    if (!REQUEST_LINE_PREFIX.test(text)) return NO;
    return final || buf.length >= MAX_CLASSIFY_BYTES ? truncatedLine(text) : MORE;
  }
  const line = REQUEST_LINE.exec(text.slice(0, nl));
  if (!line) return NO;
  const [, method = '', target = '', version = ''] = line;
  return match(parseRequest(text, nl + 1, method, target, version, final));
}

/** The client stopped mid request line: a method and a space still say "HTTP-shaped". */
function truncatedLine(text: string): ProbeResult {
  const m = /^([A-Z][A-Z0-9_-]{0,31}) (\S*)/.exec(text);
  if (!m?.[1]) return NO;
  const protocol = m[1] === 'CONNECT' ? 'http-connect' : 'http';
  return match({ protocol, complete: true, method: m[1], details: { truncated: true } });
}

function parseRequest(
  text: string,
  headerStart: number,
  method: string,
  target: string,
  version: string,
  final: boolean,
): Classification {
  const details: Record<string, unknown> = { version };
  const headers = new Map<string, string>();
  let pos = headerStart;
  let ended = false;
  while (headers.size < MAX_HEADERS) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) break;
    const raw = text.slice(pos, nl).replace(/\r$/, '');
    pos = nl + 1;
    if (raw === '') {
      ended = true;
      break;
    }
    const colon = raw.indexOf(':');
    if (colon <= 0) {
      details.malformedHeader = true;
      continue;
    }
    const name = raw.slice(0, colon).trim().toLowerCase();
    // First occurrence wins: a smuggled second Host must not override what the server sees first.
    if (!headers.has(name)) headers.set(name, raw.slice(colon + 1).trim());
  }
  if (ended) details.headerLength = pos;
  else if (headers.size >= MAX_HEADERS) details.tooManyHeaders = true;

  const out: Classification = {
    protocol: method === 'CONNECT' ? 'http-connect' : 'http',
    complete: ended || final || text.length >= MAX_CLASSIFY_BYTES || headers.size >= MAX_HEADERS,
    method,
    path: target,
    details,
  };
  const host = headers.get('host');
  if (host) out.httpHost = stripPort(host);
  if (method === 'CONNECT') {
    const authority = parseAuthority(target);
    if (authority) out.connectTarget = authority;
    else details.badTarget = true;
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    // Absolute form: what HTTP_PROXY-aware clients send to a proxy.
    try {
      const url = new URL(target);
      details.targetHost = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
      details.targetPort = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    } catch {
      details.badTarget = true;
    }
  }
  const upgrade = headers.get('upgrade');
  if (upgrade !== undefined && /\bwebsocket\b/i.test(upgrade)) {
    const sub = headers.get('sec-websocket-protocol');
    out.websocket = sub ? { subprotocol: sub } : {};
  } else if (upgrade !== undefined) details.upgrade = upgrade;
  if (method === 'PRI' && target === '*' && version === '2.0') details.h2Preface = true;
  const ua = headers.get('user-agent');
  if (ua) details.userAgent = ua.slice(0, 200);
  return out;
}
