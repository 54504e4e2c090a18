import { describe } from 'vitest';
import { exec, file, ruleTable } from '../../test-kit.js';
import { containerSocket } from './container-socket.js';

describe('file.container-socket', () => {
  ruleTable(containerSocket, {
    fires: [
      { name: 'docker.sock connect (failed)', event: file('/var/run/docker.sock', { result: -2 }) },
      { name: 'containerd socket', event: file('/run/containerd/containerd.sock') },
      {
        name: 'curl --unix-socket',
        event: exec(['curl', '--unix-socket', '/var/run/docker.sock', 'http://x/containers/json']),
      },
      {
        name: 'DOCKER_HOST env',
        event: exec(['env', 'DOCKER_HOST=unix:///run/docker.sock', 'docker', 'ps']),
      },
    ],
    passes: [
      { name: 'a Dockerfile', event: file('/workspace/Dockerfile') },
      { name: 'docs mention docker', event: exec(['grep', 'docker', 'README.md']) },
    ],
  });
});
