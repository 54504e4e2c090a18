/**
 * proc.exec-dropped-file: a file created after the sandbox started is executed from /tmp,
 * /var/tmp, /dev/shm or a hidden directory: a dropped payload. ATT&CK T1105, T1036.005, T1564.001.
 * Severity medium; high when a downloader wrote it or it sits in /dev/shm. Binaries a compiler
 * or linker wrote (build and run in /tmp) and tool directories (.venv, .cargo, node_modules/.bin)
 * are not flagged.
 */
import { defineRule, execHit } from '../../rule.js';
import { progName } from '../../lib/command.js';

const TMP = /^\/(tmp|var\/tmp|dev\/shm|run\/user\/\d+|run\/lock)\//;
const TOOL_DIRS = new Set([
  '.venv',
  '.local',
  '.cargo',
  '.rustup',
  '.npm',
  '.nvm',
  '.pyenv',
  '.cache',
  '.bin',
  '.git',
  '.tox',
  '.nox',
  '.gradle',
  '.m2',
  '.deno',
  '.bun',
  '.yarn',
  '.pnpm',
  '.config',
  '.rbenv',
  '.sdkman',
  '.conda',
]);
const TOOLCHAIN =
  /^(ld(\.\w+)?|collect2|gcc[\w.-]*|g\+\+[\w.-]*|cc|c\+\+|clang[\w.+-]*|tcc|rustc|cargo|go|zig|ghc|javac|gfortran|ocamlopt|nim|mold|lld|as|install|strip|objcopy|make|cmake|ninja|python[\d.]*|pip[\d.]*|node|npm|uv)$/;
const DOWNLOADERS = /^(curl|wget|nc|ncat|netcat|socat|scp|sftp|ftp|tftp|aria2c|fetch)$/;

function hiddenDir(path: string): string | undefined {
  const parts = path.split('/').slice(1, -1);
  return parts.find((p) => p.startsWith('.') && p !== '.' && p !== '..' && !TOOL_DIRS.has(p));
}

export const execDroppedFile = defineRule({
  id: 'proc.exec-dropped-file',
  category: 'defense-evasion',
  severity: 'medium',
  attack: ['T1105', 'T1036.005', 'T1564.001'],
  reason: 'A file dropped during the run was executed from a temporary or hidden directory',
  kinds: ['process.exec'],
  check(event, state) {
    const where = TMP.test(event.exe)
      ? 'temporary directory'
      : hiddenDir(event.exe)
        ? 'hidden directory'
        : undefined;
    if (!where) return null;
    const created = state.fileCreated(event.exe);
    let writer: string;
    if (created) {
      writer = created.exe ? progName(created.exe) : 'unknown';
      if (TOOLCHAIN.test(writer)) return null;
    } else {
      // The monitor reports only sensitive paths, but the private /tmp starts empty: whatever runs
      // from it was made during the run, by a build when a compiler or package tool ran.
      if (!/^\/(tmp|dev\/shm)\//.test(event.exe)) return null;
      const seen = [...state.processes()].map((p) => progName(p.exe));
      if (seen.some((n) => TOOLCHAIN.test(n) && !/^(python[\d.]*|node)$/.test(n))) return null;
      writer = seen.find((n) => DOWNLOADERS.test(n)) ?? 'unknown';
    }
    const high = DOWNLOADERS.test(writer) || event.exe.startsWith('/dev/shm/');
    return execHit(
      event,
      `ran ${event.exe}, written by ${writer} during the run, from a ${where}`,
      { path: event.exe, writer, ...(created ? { createdTs: created.ts } : {}) },
      high ? { severity: 'high' } : {},
    );
  },
});
