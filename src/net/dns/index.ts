/** cordon's DNS: wire format, tunnel scoring, synthetic addresses and the server. */
export { DnsServer } from './server.js';
export type {
  DnsIdentity,
  DnsServerHandle,
  DnsServerOptions,
  DnsServerStats,
  DnsSource,
} from './server.js';
export { isSyntheticAddress, SyntheticAddresses, SYNTHETIC_CAPACITY } from './synthetic.js';
export {
  registeredZone,
  scoreQuery,
  tunnelSignals,
  TUNNEL_SCORE_SUSPICIOUS,
  ZoneHistory,
} from './tunnel-score.js';
export {
  buildQuery,
  buildResponse,
  encodeName,
  frameTcp,
  parseMessage,
  QTYPE,
  qtypeName,
  RCODE,
  TcpDeframer,
} from './wire.js';
export type { DnsMessage, DnsQuestion, DnsRecord, ParseResult } from './wire.js';
