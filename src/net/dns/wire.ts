/**
 * DNS wire format (RFC 1035): parse a message with bounded name decompression, build answers,
 * and the two-byte length prefix used over TCP. Parsing never throws: errors are a typed result.
 */

export const QTYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  NULL: 10,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  SVCB: 64,
  HTTPS: 65,
  AXFR: 252,
  ANY: 255,
} as const;

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
} as const;

const TYPE_NAMES = new Map<number, string>(Object.entries(QTYPE).map(([k, v]) => [v, k]));

/** `A`, `TXT`, or `TYPE<n>` for types without a name (RFC 3597 style). */
export function qtypeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

export interface DnsQuestion {
  /** Lower-case, no trailing dot; bytes outside [a-z0-9-_] are written as \DDD. */
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: Buffer;
}

export interface DnsMessage {
  id: number;
  /** The raw flags word; the fields below are decoded from it. */
  flags: number;
  qr: boolean;
  opcode: number;
  rd: boolean;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
  /** Offset just past the question section (responses copy the questions verbatim). */
  questionsEnd: number;
}

export type ParseResult = { ok: true; message: DnsMessage } | { ok: false; error: string };

const MAX_NAME = 255;
const MAX_POINTER_HOPS = 32;
// A message claiming more records than its bytes could hold is refused before any loop runs.
const MIN_RECORD_BYTES = 11;

class ParseError extends Error {}

/** Reads a (possibly compressed) name at `pos`; returns it and the offset after it. */
function readName(buf: Buffer, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let pos = start;
  let next = -1;
  let hops = 0;
  let length = 0;
  for (;;) {
    if (pos >= buf.length) throw new ParseError('name runs past the end');
    const len = buf[pos] ?? 0;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new ParseError('truncated pointer');
      const target = ((len & 0x3f) << 8) | (buf[pos + 1] ?? 0);
      // Pointers must go strictly backwards: that alone rules out loops; the hop cap bounds work.
      if (target >= pos || ++hops > MAX_POINTER_HOPS) throw new ParseError('compression loop');
      if (next < 0) next = pos + 2;
      pos = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new ParseError('reserved label type');
    if (len === 0) break;
    if (pos + 1 + len > buf.length) throw new ParseError('label runs past the end');
    length += len + 1;
    if (length > MAX_NAME) throw new ParseError('name longer than 255 bytes');
    labels.push(labelText(buf, pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return { name: labels.join('.'), next: next < 0 ? pos + 1 : next };
}

function isPlain(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f;
}

function labelText(buf: Buffer, start: number, end: number): string {
  let plain = true;
  let upper = false;
  for (let i = start; i < end; i++) {
    const c = buf[i] ?? 0;
    if (c >= 0x41 && c <= 0x5a) upper = true;
    else if (!isPlain(c)) {
      plain = false;
      break;
    }
  }
  // Fast path: ordinary host names are one slice, no per-byte string building.
  if (plain) {
    const text = buf.toString('latin1', start, end);
    return upper ? text.toLowerCase() : text;
  }
  let s = '';
  for (let i = start; i < end; i++) {
    const c = buf[i] ?? 0;
    const lower = c >= 0x41 && c <= 0x5a ? c + 32 : c;
    s += isPlain(lower) ? String.fromCharCode(lower) : `\\${lower.toString().padStart(3, '0')}`;
  }
  return s;
}

function readRecords(buf: Buffer, pos: number, count: number, out: DnsRecord[]): number {
  for (let i = 0; i < count; i++) {
    const { name, next } = readName(buf, pos);
    if (next + 10 > buf.length) throw new ParseError('record header runs past the end');
    const rdlen = buf.readUInt16BE(next + 8);
    if (next + 10 + rdlen > buf.length) throw new ParseError('record data runs past the end');
    out.push({
      name,
      type: buf.readUInt16BE(next),
      class: buf.readUInt16BE(next + 2),
      ttl: buf.readUInt32BE(next + 4),
      data: buf.subarray(next + 10, next + 10 + rdlen),
    });
    pos = next + 10 + rdlen;
  }
  return pos;
}

/** Parses a whole DNS message (UDP payload, or a TCP message without its length prefix). */
export function parseMessage(buf: Buffer): ParseResult {
  if (buf.length < 12) return { ok: false, error: 'shorter than a DNS header' };
  const flags = buf.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o));
  const [qd = 0, an = 0, ns = 0, ar = 0] = counts;
  if (qd * 5 + (an + ns + ar) * MIN_RECORD_BYTES > buf.length - 12) {
    return { ok: false, error: 'counts exceed the message size' };
  }
  try {
    const questions: DnsQuestion[] = [];
    let pos = 12;
    for (let i = 0; i < qd; i++) {
      const { name, next } = readName(buf, pos);
      if (next + 4 > buf.length) throw new ParseError('question runs past the end');
      questions.push({ name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2) });
      pos = next + 4;
    }
    const questionsEnd = pos;
    const answers: DnsRecord[] = [];
    const authorities: DnsRecord[] = [];
    const additionals: DnsRecord[] = [];
    pos = readRecords(buf, pos, an, answers);
    pos = readRecords(buf, pos, ns, authorities);
    readRecords(buf, pos, ar, additionals);
    const message: DnsMessage = {
      id: buf.readUInt16BE(0),
      flags,
      qr: (flags & 0x8000) !== 0,
      opcode: (flags >> 11) & 0xf,
      rd: (flags & 0x0100) !== 0,
      rcode: flags & 0xf,
      questions,
      answers,
      authorities,
      additionals,
      questionsEnd,
    };
    return { ok: true, message };
  } catch (error) {
    if (error instanceof ParseError) return { ok: false, error: error.message };
    return { ok: false, error: String(error) };
  }
}

/** Encodes a dotted name (no compression). Undoes the \DDD escapes `parseMessage` writes. */
export function encodeName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of name.split('.').filter((l) => l !== '')) {
    const bytes = Buffer.from(
      label.replace(/\\(\d{3})/g, (_m, d: string) => String.fromCharCode(Number(d))),
      'latin1',
    );
    if (bytes.length > 63) throw new RangeError(`label longer than 63 bytes: ${label}`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export interface AnswerSpec {
  type: number;
  ttl: number;
  data: Buffer;
}

export interface ResponseSpec {
  rcode: number;
  /** Answers for the first question; their owner name is a pointer to it. */
  answers?: AnswerSpec[];
  /** Echo an EDNS OPT record (the query carried one). */
  edns?: boolean;
}

/**
 * Builds the response to `query`: same id and question bytes (copied from the query, so case and
 * escapes round-trip exactly), QR and RA set, RD echoed, AA set (cordon is the authority here).
 */
export function buildResponse(raw: Buffer, query: DnsMessage, spec: ResponseSpec): Buffer {
  const q = query.questions[0];
  const questionEnd = q ? query.questionsEnd : 12;
  const answers = q ? (spec.answers ?? []) : [];
  const optLen = spec.edns ? 11 : 0;
  const size = questionEnd + answers.reduce((n, a) => n + 12 + a.data.length, 0) + optLen;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt16BE(query.id, 0);
  const flags =
    0x8000 | (query.opcode << 11) | 0x0400 | (query.flags & 0x0100) | 0x0080 | spec.rcode;
  out.writeUInt16BE(flags, 2);
  out.writeUInt16BE(q ? query.questions.length : 0, 4);
  out.writeUInt16BE(answers.length, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(spec.edns ? 1 : 0, 10);
  raw.copy(out, 12, 12, questionEnd);
  let pos = questionEnd;
  for (const a of answers) {
    out.writeUInt16BE(0xc00c, pos); // pointer to the first question's name
    out.writeUInt16BE(a.type, pos + 2);
    out.writeUInt16BE(1, pos + 4);
    out.writeUInt32BE(a.ttl, pos + 6);
    out.writeUInt16BE(a.data.length, pos + 10);
    a.data.copy(out, pos + 12);
    pos += 12 + a.data.length;
  }
  if (spec.edns) {
    // Root name, type OPT, UDP payload 1232 (the DNS flag day value), no flags, no options.
    out.writeUInt8(0, pos);
    out.writeUInt16BE(QTYPE.OPT, pos + 1);
    out.writeUInt16BE(1232, pos + 3);
    out.writeUInt32BE(0, pos + 5);
    out.writeUInt16BE(0, pos + 9);
  }
  return out;
}

/** The 4 bytes of an A record's data. */
export function ipv4Bytes(ip: string): Buffer {
  const out = Buffer.allocUnsafe(4);
  let octet = 0;
  let i = 0;
  for (let k = 0; k < ip.length; k++) {
    const c = ip.charCodeAt(k);
    if (c === 0x2e) {
      out[i++] = octet;
      octet = 0;
    } else octet = octet * 10 + (c - 0x30);
  }
  out[i] = octet;
  return out;
}

/** Prefixes a message with its two-byte length, as DNS over TCP requires. */
export function frameTcp(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + message.length);
  out.writeUInt16BE(message.length, 0);
  message.copy(out, 2);
  return out;
}

/**
 * Splits a TCP byte stream into DNS messages. Holds at most one partial message (< 64 KiB + 2)
 * between calls.
 */
export class TcpDeframer {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) break;
      out.push(buf.subarray(2, 2 + len));
      buf = buf.subarray(2 + len);
    }
    this.pending = buf;
    return out;
  }
}

/** A standard query with one question (RD set), as a stub resolver sends it. */
export function buildQuery(
  name: string,
  type: number,
  id = 0,
  opts: { edns?: boolean } = {},
): Buffer {
  const qname = encodeName(name);
  const opt = opts.edns ? 11 : 0;
  const out = Buffer.alloc(12 + qname.length + 4 + opt);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(0x0100, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(opts.edns ? 1 : 0, 10);
  qname.copy(out, 12);
  out.writeUInt16BE(type, 12 + qname.length);
  out.writeUInt16BE(1, 14 + qname.length);
  if (opts.edns) {
    const p = 16 + qname.length;
    out.writeUInt16BE(QTYPE.OPT, p + 1);
    out.writeUInt16BE(1232, p + 3);
  }
  return out;
}
