/**
 * Which files a command line writes (redirections, tee, cp/mv/install/ln, sed -i, dd of=) and
 * whether a file event is a write, so persistence rules see both `echo >> ~/.bashrc` and the open.
 */
import type { FileAccessEvent, ProcessExecEvent } from '../../events/index.js';
import { execHit, type RuleHit } from '../rule.js';
import { isWriteAccess } from '../state.js';
import { commandsOf } from './command.js';

const REDIRECT = /^(?:\d*|&)>>?\|?(.*)$/;

/** Paths an exec's command line writes to, as written (`~` not expanded). */
export function writesOf(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const cmd of commandsOf(argv)) {
    const words = [cmd.name, ...cmd.args];
    for (let i = 0; i < words.length; i += 1) {
      const w = words[i]!;
      const m = REDIRECT.exec(w);
      if (m && !w.startsWith('>&') && !/^\d*>&\d/.test(w)) {
        const target = m[1] || words[i + 1];
        if (target && !target.startsWith('&')) out.push(target);
      }
    }
    const paths = cmd.args.filter((a) => !a.startsWith('-') && !a.startsWith('>'));
    switch (cmd.name) {
      case 'tee':
        out.push(...paths);
        break;
      case 'cp':
      case 'mv':
      case 'install':
      case 'ln':
      case 'rsync':
      case 'scp':
        if (paths.length >= 2) out.push(paths[paths.length - 1]!);
        break;
      case 'sed':
      case 'perl':
        if (cmd.args.some((a) => /^-[a-zA-Z]*i/.test(a) || a.startsWith('--in-place'))) {
          if (paths.length >= 2) out.push(paths[paths.length - 1]!);
        }
        break;
      case 'dd':
        for (const a of cmd.args) if (a.startsWith('of=')) out.push(a.slice(3));
        break;
      case 'touch':
      case 'truncate':
        out.push(...paths);
        break;
      default:
        break;
    }
  }
  return out.slice(0, 64);
}

/** The path a file event changes, or undefined for a read. Failed attempts count: intent is evidence. */
export function writtenPath(event: FileAccessEvent): string | undefined {
  return isWriteAccess(event.op, event.flags) || event.op === 'unlink' ? event.path : undefined;
}

/** First path in `paths` matching `test`. */
export function firstMatch(
  paths: readonly string[],
  test: (p: string) => boolean,
): string | undefined {
  return paths.find(test);
}

/** A hit when an exec's command line, or a file event, writes a path passing `test`. */
export function writeHit(
  event: ProcessExecEvent | FileAccessEvent,
  test: (path: string) => boolean,
): RuleHit | null {
  if (event.kind === 'file.access') {
    const path = writtenPath(event);
    if (!path || !test(path)) return null;
    return {
      detail: `${event.op === 'open' ? 'wrote' : event.op} ${path}${event.result === 0 ? '' : ' (failed)'}`,
      evidence: { path, op: event.op, result: event.result },
      pid: event.pid,
      exe: event.exe,
      key: path,
    };
  }
  const path = writesOf(event.argv).find(test);
  return path ? execHit(event, `writes ${path}`, { path }) : null;
}
