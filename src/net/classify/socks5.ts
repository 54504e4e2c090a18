/**
 * SOCKS5 probe (RFC 1928): the greeting (version 5, method count, methods) and, when the client
 * pipelined it, the CONNECT/BIND/UDP request with its target.
 */
import { MORE, NO, match, type Classification, type ProbeResult } from './types.js';

const COMMANDS: Record<number, string> = { 1: 'connect', 2: 'bind', 3: 'udp-associate' };

export function probeSocks5(buf: Buffer, final: boolean): ProbeResult {
  if (buf.length === 0) return MORE;
  if (buf[0] !== 5) return NO;
  if (buf.length < 2) return final ? NO : MORE;
  const nmethods = buf[1] ?? 0;
  if (nmethods === 0) return NO;
  const greetingLen = 2 + nmethods;
  if (buf.length < greetingLen) return final ? NO : MORE;
  const methods = [...buf.subarray(2, greetingLen)];
  const base: Classification = { protocol: 'socks5', complete: true, details: { methods } };
  if (buf.length === greetingLen) return match(base);
  return parseRequest(buf.subarray(greetingLen), base, final);
}

/** The request after the greeting: VER CMD RSV ATYP DST.ADDR DST.PORT. */
function parseRequest(req: Buffer, base: Classification, final: boolean): ProbeResult {
  const need = requestLength(req);
  if (need === 'bad') return NO;
  if (need === undefined || req.length < need) {
    return final ? match({ ...base, details: { ...base.details, truncated: true } }) : MORE;
  }
  const cmd = req[1] ?? 0;
  const atyp = req[3] ?? 0;
  let host: string;
  if (atyp === 1) host = [...req.subarray(4, 8)].join('.');
  else if (atyp === 3) {
    host = req
      .subarray(5, 5 + (req[4] ?? 0))
      .toString('latin1')
      .replace(/[^\x21-\x7e]/g, '?')
      .toLowerCase();
  } else {
    const words: string[] = [];
    for (let i = 4; i < 20; i += 2) words.push(req.readUInt16BE(i).toString(16));
    host = words.join(':');
  }
  const port = req.readUInt16BE(need - 2);
  const details = { ...base.details, command: COMMANDS[cmd], trailingBytes: req.length - need };
  return match({ ...base, connectTarget: { host, port }, details });
}

/** Bytes the request needs; undefined until the address length is known; 'bad' if not SOCKS5. */
function requestLength(req: Buffer): number | 'bad' | undefined {
  if (req[0] !== 5) return 'bad';
  if (req.length >= 2 && !COMMANDS[req[1] ?? 0]) return 'bad';
  if (req.length >= 3 && req[2] !== 0) return 'bad';
  if (req.length < 4) return undefined;
  switch (req[3] ?? 0) {
    case 1:
      return 4 + 4 + 2;
    case 4:
      return 4 + 16 + 2;
    case 3:
      if (req.length < 5) return undefined;
      return (req[4] ?? 0) === 0 ? 'bad' : 5 + (req[4] ?? 0) + 2;
    default:
      return 'bad';
  }
}
