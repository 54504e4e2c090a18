/**
 * proc.download-and-execute: fetched bytes run at once: `curl .. | sh`, `wget -O- .. | bash`,
 * `bash <(curl ..)`, `sh -c "$(curl ..)"`, or download, chmod +x and run in one script.
 * ATT&CK T1105, T1059.004. Severity high; low when the URL's host is listed in the policy.
 */
import { defineRule, execHit } from '../../rule.js';
import { commandsOf, commandText, pipelinesOf, runsStdin, unwrap } from '../../lib/command.js';
import { policyAllowsHost } from '../../lib/net.js';

const DOWNLOADERS = new Set([
  'curl',
  'wget',
  'fetch',
  'aria2c',
  'lwp-download',
  'http',
  'httpie',
  'lynx',
]);
const URL_HOST = /\b(?:https?|ftp):\/\/(?:[^/@\s]*@)?(\[[^\]]+\]|[^/:\s"']+)/i;

const SUBST_FETCH = /(<\(|\$\(|`)\s*(curl|wget|fetch)\b/;
const SUBST_RUN =
  /(\b(ba|da|z)?sh|source|\.|eval|python3?|perl)\s+("?<\(|"?\$\(|"?`)\s*(curl|wget)\b/;

export const downloadExecute = defineRule({
  id: 'proc.download-and-execute',
  category: 'defense-evasion',
  severity: 'high',
  attack: ['T1105', 'T1059.004'],
  reason: 'Downloaded code was run at once, unseen',
  kinds: ['process.exec'],
  check(event, state) {
    const text = commandText(event.argv);
    const host = URL_HOST.exec(text)?.[1]?.toLowerCase();
    const listed = host !== undefined && policyAllowsHost(state.policy, host);
    const extra = listed ? { severity: 'low' as const } : {};
    const evidence = { url: host ?? null, listed };
    const commands = commandsOf(event.argv);
    for (const pipe of pipelinesOf(commands)) {
      const dl = pipe.findIndex((c) => DOWNLOADERS.has(c.name));
      const runner = pipe.findIndex(runsStdin);
      if (dl !== -1 && runner > dl) {
        return execHit(
          event,
          `${pipe[dl]!.name} piped into ${pipe[runner]!.name}${host ? ` from ${host}` : ''}`,
          evidence,
          extra,
        );
      }
    }
    if (SUBST_RUN.test(text) || (SUBST_FETCH.test(text) && /\b(sh|bash)\s+-c\s/.test(text))) {
      return execHit(event, `downloaded script run${host ? ` from ${host}` : ''}`, evidence, extra);
    }
    const fetched = commands.find((c) => DOWNLOADERS.has(c.name));
    const chmod = commands.find(
      (c) => c.name === 'chmod' && c.args.some((a) => /\+x|^[0-7]*[1357]$/.test(a)),
    );
    if (fetched && chmod) {
      const target = chmod.args[chmod.args.length - 1] ?? '';
      const runs = commands.some(
        (c) => c.name === target.split('/').pop()?.toLowerCase() && c !== chmod,
      );
      if (runs)
        return execHit(event, `downloaded, made executable and ran ${target}`, evidence, extra);
    }
    // eBPF sees `curl | sh` as sibling execs when no `sh -c` carried the pipeline, in either
    // order: the two children of one fork race to their exec.
    const top = commands[0];
    if (top && runsStdin(top)) {
      const sib = state
        .siblings(event.pid, 2_000)
        .find((p) => DOWNLOADERS.has(unwrap(p.argv)?.name ?? ''));
      if (sib)
        return execHit(event, `${top.name} fed by ${unwrap(sib.argv)?.name ?? 'a download'}`, {
          downloaderPid: sib.pid,
        });
    }
    if (top && DOWNLOADERS.has(top.name)) {
      const runner = state.siblings(event.pid, 2_000).find((p) => {
        const cmd = unwrap(p.argv);
        return cmd !== undefined && runsStdin(cmd);
      });
      if (runner)
        return execHit(
          event,
          `${top.name} feeding ${unwrap(runner.argv)?.name ?? 'a shell'}${host ? ` from ${host}` : ''}`,
          { ...evidence, runnerPid: runner.pid },
          extra,
        );
    }
    return null;
  },
});
