/**
 * proc.tunnel-tool: a dedicated tunnelling or reverse-proxy tool runs (chisel, ngrok, frpc,
 * cloudflared tunnel, bore, gost, ligolo, sshuttle, iodine, dnscat). ATT&CK T1572, T1090.
 * Severity high: none of them belongs in an agent's task, and each punches through a firewall.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf, execNames } from '../../lib/command.js';

const TOOLS =
  /^(chisel|ngrok|frpc|frps|bore|gost|ligolo(-ng)?|ligolo-agent|agent-ligolo|sshuttle|iodine|dnscat2?|ptunnel(-ng)?|rathole|inlets|zrok|pagekite(\.py)?|revsocks|rpivot|3proxy|tuns|dns2tcp\w*|icmpsh)$/;

export const tunnelTool = defineRule({
  id: 'proc.tunnel-tool',
  category: 'tunnel',
  severity: 'high',
  attack: ['T1572', 'T1090'],
  reason: 'A tunnelling or reverse-proxy tool was started',
  kinds: ['process.exec'],
  check(event) {
    const commands = commandsOf(event.argv);
    const names = [...execNames(event), ...commands.map((c) => c.name)];
    const tool = names.find((n) => TOOLS.test(n));
    if (tool) return execHit(event, `tunnel tool ${tool}`, { tool });
    const cf = commands.find((c) => c.name === 'cloudflared' && c.args.includes('tunnel'));
    return cf ? execHit(event, 'cloudflared tunnel', { tool: 'cloudflared' }) : null;
  },
});
