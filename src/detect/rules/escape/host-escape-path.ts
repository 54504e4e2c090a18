/**
 * file.host-escape-path: paths used to break out of a container: /proc/1/root, cgroup
 * release_agent and notify_on_release, /proc/sys/kernel/core_pattern, /proc/sysrq-trigger,
 * /sys/kernel/uevent_helper. ATT&CK T1611. Severity critical.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandText } from '../../lib/command.js';

const ESCAPE =
  /\/proc\/1\/(root|cwd|ns\/)|release_agent|notify_on_release|\/proc\/sys\/kernel\/(core_pattern|modprobe)|\/proc\/sysrq-trigger|\/sys\/kernel\/uevent_helper/;

export const hostEscapePath = defineRule({
  id: 'file.host-escape-path',
  category: 'escape',
  severity: 'critical',
  attack: ['T1611'],
  reason: 'A known container escape path was touched',
  kinds: ['file.access', 'process.exec'],
  check(event) {
    if (event.kind === 'process.exec') {
      const m = ESCAPE.exec(commandText(event.argv));
      return m ? execHit(event, `names ${m[0]}`, { path: m[0] }) : null;
    }
    // Reading core_pattern is common (crash tooling); writing it is the escape.
    if (
      /core_pattern|\/proc\/sys\/kernel\/modprobe/.test(event.path) &&
      event.op === 'open' &&
      ((event.flags ?? 0) & 3) === 0
    )
      return null;
    if (!ESCAPE.test(event.path)) return null;
    return {
      detail: `${event.op} ${event.path}${event.result === 0 ? '' : ' (failed)'}`,
      evidence: { path: event.path, op: event.op, result: event.result },
      pid: event.pid,
      exe: event.exe,
      key: event.path,
    };
  },
});
