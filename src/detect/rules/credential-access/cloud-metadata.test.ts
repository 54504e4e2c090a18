import { describe } from 'vitest';
import { exec, dns, drop, flow, ruleTable } from '../../test-kit.js';
import { cloudMetadata } from './cloud-metadata.js';

describe('net.cloud-metadata', () => {
  ruleTable(cloudMetadata, {
    fires: [
      {
        name: 'AWS IMDS flow',
        event: flow({ address: '169.254.169.254', port: 80, protocol: 'http' }),
      },
      {
        name: 'GCP metadata name',
        event: flow({ host: 'metadata.google.internal', address: '198.18.0.3', port: 80 }),
      },
      { name: 'DNS lookup', event: dns('metadata.google.internal') },
      { name: 'IPv6 IMDS dropped', event: drop({ protocol: 'ipv6', address: 'fd00:ec2::254' }) },
      {
        name: 'curl on the command line',
        event: exec(['curl', 'http://169.254.169.254/latest/meta-data/iam/']),
      },
    ],
    passes: [
      { name: 'registry flow', event: flow({ host: 'registry.test', address: '198.18.0.4' }) },
      { name: 'other link-local-ish text', event: exec(['echo', '169.254.1.1']) },
    ],
  });
});
