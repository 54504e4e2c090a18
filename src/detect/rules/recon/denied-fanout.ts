/**
 * net.denied-fanout: denied connections (or dropped packets) fan out across 8 or more hosts, or 8
 * or more ports, within 10 s: a scan of the network around the sandbox, as ROME probed its
 * cluster. ATT&CK T1046, T1018. Severity high. Retries to one host and port are not a scan.
 */
import { defineRule } from '../../rule.js';

const WINDOW_MS = 10_000;
const FANOUT = 8;

export const deniedFanout = defineRule({
  id: 'net.denied-fanout',
  category: 'recon',
  severity: 'high',
  attack: ['T1046', 'T1018'],
  reason: 'Denied connections fanned out across many hosts or ports',
  kinds: ['net.flow', 'net.drop'],
  check(event, state) {
    if (event.kind === 'net.flow' && (event.decision !== 'deny' || event.phase !== 'open'))
      return null;
    const denied = state.deniedFlows(state.now - WINDOW_MS);
    if (denied.length < FANOUT) return null;
    const hosts = new Set(denied.map((f) => f.host ?? f.address));
    const ports = new Set(denied.map((f) => f.port));
    if (hosts.size < FANOUT && ports.size < FANOUT) return null;
    const pids = new Set(denied.map((f) => f.pid));
    const only = pids.size === 1 ? denied[0] : undefined;
    return {
      detail: `${denied.length} denied connections to ${hosts.size} hosts and ${ports.size} ports in ${WINDOW_MS / 1000} s`,
      evidence: {
        hosts: [...hosts].slice(0, 20),
        ports: [...ports].slice(0, 20),
        attempts: denied.length,
      },
      pid: only?.pid,
      exe: only?.exe,
      key: 'fanout',
      eventIds: denied.slice(0, 20).map((f) => f.eventId),
    };
  },
});
