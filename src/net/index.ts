/**
 * The network cordon: per-sandbox network namespaces behind a transparent, classifying proxy and
 * cordon's own DNS. Every attempt is seen with its destination name and protocol, and denied flows
 * forward zero bytes.
 */
export { NetworkCordon, type NetworkCordonOptions, type NetworkAttachment } from './cordon.js';
export { decideFlow } from './policy-match.js';
export { kernelRelayStatus } from './relay.js';
export {
  classify,
  MAX_CLASSIFY_BYTES,
  type Classification,
  type FlowProtocol,
} from './classify/index.js';
export { DnsServer, SyntheticAddresses, isSyntheticAddress } from './dns/index.js';
