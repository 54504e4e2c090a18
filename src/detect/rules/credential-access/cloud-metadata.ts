/**
 * net.cloud-metadata: the cloud instance metadata service is contacted or looked up
 * (169.254.169.254, fd00:ec2::254, metadata.google.internal, 100.100.100.200, ECS 169.254.170.2),
 * where instance credentials are handed out. ATT&CK T1552.005. Severity high.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandText } from '../../lib/command.js';
import { decisionText, destination, isMetadataEndpoint } from '../../lib/net.js';

const IN_TEXT =
  /169\.254\.169\.254|169\.254\.170\.2|100\.100\.100\.200|fd00:ec2::254|metadata\.google\.internal/i;

export const cloudMetadata = defineRule({
  id: 'net.cloud-metadata',
  category: 'credential-access',
  severity: 'high',
  attack: ['T1552.005'],
  reason: 'The cloud instance metadata service was contacted',
  kinds: ['net.flow', 'net.dns', 'net.drop', 'process.exec'],
  check(event) {
    switch (event.kind) {
      case 'net.flow':
        if (
          !isMetadataEndpoint(event.address) &&
          !isMetadataEndpoint(event.host) &&
          !isMetadataEndpoint(event.httpHost)
        )
          return null;
        return {
          detail: `metadata service ${destination(event)} ${decisionText(event)}`,
          evidence: {
            destination: destination(event),
            decision: event.decision,
            flowId: event.flowId,
          },
          pid: event.pid,
          exe: event.exe,
          key: destination(event),
        };
      case 'net.dns':
        if (!isMetadataEndpoint(event.name)) return null;
        return {
          detail: `DNS lookup of ${event.name}`,
          evidence: { name: event.name },
          key: event.name,
        };
      case 'net.drop':
        if (!isMetadataEndpoint(event.address)) return null;
        return {
          detail: `${event.protocol} to metadata ${event.address} dropped`,
          evidence: { address: event.address },
          key: event.address,
        };
      case 'process.exec': {
        const m = IN_TEXT.exec(commandText(event.argv));
        return m
          ? execHit(event, `command names metadata endpoint ${m[0]}`, { endpoint: m[0] })
          : null;
      }
    }
  },
});
