/**
 * proc.decode-pipe-to-shell: decoded bytes are run as code: `base64 -d | sh`, `xxd -r -p | bash`,
 * `eval "$(echo .. | base64 -d)"`, `python -c "exec(b64decode(..))"`, or a bare shell whose sibling
 * decodes. Obfuscation hides the real command from people and rules. ATT&CK T1027, T1140,
 * T1059.004. Severity high. Decoding into a file is not flagged.
 */
import { defineRule, execHit } from '../../rule.js';
import {
  commandsOf,
  commandText,
  isInterpreter,
  pipelinesOf,
  runsStdin,
  unwrap,
} from '../../lib/command.js';

function isDecoder(cmd: { name: string; args: readonly string[] }): boolean {
  const { name, args } = cmd;
  if (name === 'base64' || name === 'base32' || name === 'basenc')
    return args.some((a) => /^(-[a-zA-Z]*[dD]|--decode)$/.test(a));
  if (name === 'xxd') return args.some((a) => /^-[a-z]*r/.test(a));
  if (name === 'openssl')
    return args.includes('-d') || (args.includes('base64') && args.includes('-d'));
  return name === 'uudecode' || name === 'rev';
}

const EVAL_DECODE =
  /\b(eval|source|exec)\b[^;|]*\$\([^)]*\b(base64|base32|xxd|openssl)\b[^)]*(-d|--decode|-r)/;
const CODE_DECODE = /(b64decode|base64_decode|decode64|Buffer\.from\([^)]*base64|unpack\(["']m)/;
const CODE_EXEC = /\b(exec|eval|system|popen|compile)\s*\(|\beval\b/;

export const decodeToShell = defineRule({
  id: 'proc.decode-pipe-to-shell',
  category: 'defense-evasion',
  severity: 'high',
  attack: ['T1027', 'T1140', 'T1059.004'],
  reason: 'Decoded (obfuscated) bytes were run as code',
  kinds: ['process.exec'],
  check(event, state) {
    const commands = commandsOf(event.argv);
    for (const pipe of pipelinesOf(commands)) {
      const decoder = pipe.findIndex(isDecoder);
      const runner = pipe.findIndex(runsStdin);
      if (decoder !== -1 && runner > decoder) {
        return execHit(event, `${pipe[decoder]!.name} decoded into ${pipe[runner]!.name}`, {
          decoder: pipe[decoder]!.name,
        });
      }
    }
    if (EVAL_DECODE.test(commandText(event.argv)))
      return execHit(event, 'eval of decoded text', { decoder: 'eval' });
    for (const cmd of commands) {
      if (!isInterpreter(cmd.name)) continue;
      const code = cmd.args.join(' ');
      if (CODE_DECODE.test(code) && CODE_EXEC.test(code)) {
        return execHit(event, `${cmd.name} executes decoded code`, { decoder: cmd.name });
      }
    }
    // eBPF sees `base64 -d | sh` as two sibling execs when no `sh -c` script carried the pipeline.
    const top = commands[0];
    if (top && runsStdin(top)) {
      const sib = state.siblings(event.pid, 2_000).find((p) => {
        const cmd = unwrap(p.argv);
        return cmd !== undefined && isDecoder(cmd);
      });
      if (sib)
        return execHit(event, `${top.name} fed by ${unwrap(sib.argv)?.name ?? 'a decoder'}`, {
          decoderPid: sib.pid,
        });
    }
    // The two execs race: when the shell's exec is seen first, the decoder's exec finds it.
    if (top && isDecoder(top)) {
      const shell = state.siblings(event.pid, 2_000).find((p) => {
        const cmd = unwrap(p.argv);
        return cmd !== undefined && runsStdin(cmd);
      });
      if (shell)
        return execHit(event, `${top.name} feeds ${unwrap(shell.argv)?.name ?? 'a shell'}`, {
          shellPid: shell.pid,
        });
    }
    return null;
  },
});
