import { describe } from 'vitest';
import { exec, sh, ruleTable } from '../../test-kit.js';
import { tunnelTool } from './tunnel-tool.js';

describe('proc.tunnel-tool', () => {
  ruleTable(tunnelTool, {
    fires: [
      {
        name: 'chisel client',
        event: exec(['./chisel', 'client', 'relay.rogue.test:443', 'R:socks']),
      },
      { name: 'ngrok', event: exec(['ngrok', 'tcp', '22']) },
      { name: 'cloudflared tunnel', event: sh('cloudflared tunnel --url http://localhost:8080') },
      { name: 'frpc renamed argv but exe', event: exec(['svc'], { exe: '/tmp/frpc' }) },
    ],
    passes: [
      { name: 'cloudflared version', event: exec(['cloudflared', '--version']) },
      { name: 'go build', event: exec(['go', 'build', './...']) },
      { name: 'boring', event: exec(['boring-tool']) },
    ],
  });
});
