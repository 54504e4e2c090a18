/**
 * TLS ClientHello probe: record header, handshake header, then SNI, ALPN and supported_versions
 * read with strict bounds. Every length is checked against what is left before it is used.
 */
import { MAX_CLASSIFY_BYTES, MORE, NO, match, type ProbeResult } from './types.js';

const RECORD_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;
const EXT_SUPPORTED_VERSIONS = 43;
/** RFC 8446 5.1: a record never carries more than 2^14 bytes (plus expansion for old ciphers). */
const MAX_RECORD = 16384 + 2048;

/** A bounds-checked cursor; `ok` turns false on the first read past the end and stays false. */
class Reader {
  ok = true;
  constructor(
    private readonly buf: Buffer,
    public pos = 0,
    private readonly end = buf.length,
  ) {}
  get left(): number {
    return this.end - this.pos;
  }
  u8(): number {
    if (this.left < 1) return this.fail();
    return this.buf[this.pos++] ?? 0;
  }
  u16(): number {
    if (this.left < 2) return this.fail();
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  bytes(n: number): Buffer {
    if (this.left < n) {
      this.fail();
      return Buffer.alloc(0);
    }
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  /** A sub-reader over the next n bytes (no copy). */
  sub(n: number): Reader {
    if (this.left < n) {
      this.fail();
      return new Reader(this.buf, this.end, this.end);
    }
    const r = new Reader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }
  private fail(): 0 {
    this.ok = false;
    this.pos = this.end;
    return 0;
  }
}

/**
 * Gathers the handshake bytes carried by consecutive handshake records. The common case (the
 * whole ClientHello in the first record) is a view with no copy; fragmented hellos are joined,
 * bounded by MAX_CLASSIFY_BYTES because the input is.
 */
function handshakeBytes(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  while (pos + 5 <= buf.length) {
    if (buf[pos] !== RECORD_HANDSHAKE || buf[pos + 1] !== 3) break;
    const len = buf.readUInt16BE(pos + 3);
    if (len === 0 || len > MAX_RECORD) break;
    parts.push(buf.subarray(pos + 5, Math.min(buf.length, pos + 5 + len)));
    pos += 5 + len;
  }
  return parts.length === 1 ? (parts[0] ?? Buffer.alloc(0)) : Buffer.concat(parts);
}

function versionName(v: number): string {
  switch (v) {
    case 0x0300:
      return 'SSL3.0';
    case 0x0301:
      return 'TLS1.0';
    case 0x0302:
      return 'TLS1.1';
    case 0x0303:
      return 'TLS1.2';
    case 0x0304:
      return 'TLS1.3';
    default:
      return `0x${v.toString(16).padStart(4, '0')}`;
  }
}

/** Printable host names only: an SNI is evidence shown to people, never raw control bytes. */
function asciiName(b: Buffer): string {
  return b
    .toString('latin1')
    .replace(/[^\x21-\x7e]/g, '?')
    .toLowerCase();
}

export function probeTls(buf: Buffer, final: boolean): ProbeResult {
  // Record header: type 22, version 3.x, length; then handshake type 1 (ClientHello).
  if (buf.length === 0) return MORE;
  if (buf[0] !== RECORD_HANDSHAKE) return NO;
  if (buf.length < 2) return final ? NO : MORE;
  if (buf[1] !== 3) return NO;
  if (buf.length < 3) return final ? NO : MORE;
  if ((buf[2] ?? 0) > 4) return NO;
  if (buf.length < 5) return final ? NO : MORE;
  const recordLen = buf.readUInt16BE(3);
  if (recordLen < 4 || recordLen > MAX_RECORD) return NO;
  if (buf.length < 6) return final ? NO : MORE;
  if (buf[5] !== HANDSHAKE_CLIENT_HELLO) return NO;

  const data = handshakeBytes(buf);
  const details: Record<string, unknown> = { recordVersion: versionName(buf.readUInt16BE(1)) };
  if (data.length < 4) return final ? truncated(details) : MORE;
  const bodyLen = data.readUIntBE(1, 3);
  if (bodyLen + 4 > MAX_CLASSIFY_BYTES) details.oversized = true;
  if (data.length < bodyLen + 4) {
    // Keep reading unless the hello cannot fit in the classifier's budget.
    if (!final && !details.oversized && buf.length < MAX_CLASSIFY_BYTES) return MORE;
    return truncated(details);
  }
  return parseClientHello(new Reader(data, 4, 4 + bodyLen), details);
}

function truncated(details: Record<string, unknown>): ProbeResult {
  return match({ protocol: 'tls', complete: true, details: { ...details, truncated: true } });
}

function parseClientHello(r: Reader, details: Record<string, unknown>): ProbeResult {
  details.clientVersion = versionName(r.u16());
  r.bytes(32); // random
  const sessionIdLen = r.u8();
  if (sessionIdLen > 32) r.ok = false;
  r.bytes(sessionIdLen);
  const suitesLen = r.u16();
  if (suitesLen % 2 !== 0 || suitesLen === 0) r.ok = false;
  details.cipherSuites = suitesLen / 2;
  r.bytes(suitesLen);
  r.bytes(r.u8()); // compression methods
  let sni: string | undefined;
  let alpn: string[] | undefined;
  if (r.ok && r.left >= 2) {
    const ext = r.sub(r.u16());
    const types: number[] = [];
    while (ext.ok && ext.left >= 4) {
      const type = ext.u16();
      const body = ext.sub(ext.u16());
      if (types.length < 64) types.push(type);
      if (type === EXT_SERVER_NAME) sni = parseSni(body);
      else if (type === EXT_ALPN) alpn = parseAlpn(body);
      else if (type === EXT_SUPPORTED_VERSIONS) details.supportedVersions = parseVersions(body);
    }
    if (!ext.ok || ext.left !== 0) r.ok = false;
    details.extensions = types;
  }
  if (!r.ok) details.malformed = true;
  return match({
    protocol: 'tls',
    complete: true,
    ...(sni !== undefined ? { sni } : {}),
    ...(alpn !== undefined ? { alpn } : {}),
    details,
  });
}

function parseSni(r: Reader): string | undefined {
  const list = r.sub(r.u16());
  while (list.ok && list.left >= 3) {
    const type = list.u8();
    const name = list.bytes(list.u16());
    if (list.ok && type === 0 && name.length > 0 && name.length <= 255) return asciiName(name);
  }
  return undefined;
}

function parseAlpn(r: Reader): string[] {
  const list = r.sub(r.u16());
  const out: string[] = [];
  while (list.ok && list.left >= 1 && out.length < 32) {
    const p = list.bytes(list.u8());
    if (list.ok && p.length > 0) out.push(asciiName(p));
  }
  return out;
}

function parseVersions(r: Reader): string[] {
  const list = r.sub(r.u8());
  const out: string[] = [];
  while (list.ok && list.left >= 2 && out.length < 16) {
    const v = list.u16();
    // GREASE values (0x?a?a) carry no meaning.
    if ((v & 0x0f0f) !== 0x0a0a) out.push(versionName(v));
  }
  return out;
}
