/**
 * SSH probe: the client's identification line `SSH-protoversion-softwareversion [comments]`
 * (RFC 4253 4.2), whatever its version text and whatever the port.
 */
import { MORE, NO, match, type ProbeResult } from './types.js';

const PREFIX = Buffer.from('SSH-');
/** RFC 4253: the identification line is at most 255 bytes including CR LF. */
const MAX_BANNER = 255;

export function probeSsh(buf: Buffer, final: boolean): ProbeResult {
  const n = Math.min(buf.length, PREFIX.length);
  if (buf.compare(PREFIX, 0, n, 0, n) !== 0) return NO;
  if (buf.length < PREFIX.length) return final ? NO : MORE;
  const window = buf.subarray(0, MAX_BANNER);
  const nl = window.indexOf(0x0a);
  if (nl < 0 && !final && buf.length < MAX_BANNER) {
    return match({ protocol: 'ssh', complete: false, details: {} });
  }
  const line = window
    .subarray(0, nl < 0 ? window.length : nl)
    .toString('latin1')
    .replace(/\r$/, '')
    // Shown to people: no control bytes.
    .replace(/[^\x20-\x7e]/g, '?');
  const m = /^SSH-([^-\s]*)-(\S*)(?: (.*))?$/.exec(line);
  const details: Record<string, unknown> = {};
  if (m) {
    details.protoVersion = m[1];
    details.software = m[2];
    if (m[3]) details.comments = m[3];
  }
  if (nl < 0) details.truncated = true;
  return match({ protocol: 'ssh', complete: true, sshVersion: line, details });
}
