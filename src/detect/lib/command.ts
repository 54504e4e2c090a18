/**
 * Names and command lines: which program an exec (or a command inside its `sh -c` script) runs,
 * past wrappers such as env, sudo, nohup, timeout and busybox, so rules match intent, not spelling.
 */
import type { ProcessExecEvent } from '../../events/index.js';
import { parseScript, pipelines, type Joiner } from './shell.js';

export interface Command {
  /** Lower-case basename of the program, e.g. `nc`, `python3`. */
  name: string;
  args: string[];
  next: Joiner;
}

export function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  return i === -1 ? trimmed : trimmed.slice(i + 1);
}

/** Lower-case basename without a Windows `.exe`. */
export function progName(path: string): string {
  return basename(path)
    .toLowerCase()
    .replace(/\.exe$/, '');
}

export const SHELLS = new Set([
  'sh',
  'bash',
  'dash',
  'zsh',
  'ksh',
  'ash',
  'mksh',
  'fish',
  'tcsh',
  'csh',
  'rbash',
]);

export function isShell(name: string): boolean {
  return SHELLS.has(name);
}

/** Script interpreters that can open sockets and spawn shells. */
export function isInterpreter(name: string): boolean {
  return /^(python[\d.]*|pypy[\d.]*|perl[\d.]*|ruby[\d.]*|php[\d.]*|node(js)?|lua[\d.]*|luajit|tclsh[\d.]*|pwsh|deno|bun|awk|gawk)$/.test(
    name,
  );
}

/**
 * True when the command runs code it reads from stdin: a shell with no script file or `-c`
 * (`sh`, `bash -s`), or an interpreter with no script or `-` (`python3 -`).
 */
export function runsStdin(cmd: Pick<Command, 'name' | 'args'>): boolean {
  if (isShell(cmd.name))
    return (
      shellScript(cmd.name, cmd.args) === undefined && !cmd.args.some((a) => !a.startsWith('-'))
    );
  return isInterpreter(cmd.name) && (cmd.args.length === 0 || cmd.args.includes('-'));
}

/** Wrappers to look through, each with its options that take a value as the next word. */
const WRAPPERS: Record<string, readonly string[]> = {
  env: ['-u', '-C', '-S'],
  sudo: ['-u', '-g', '-C', '-p', '-h', '-D', '-r', '-t', '-U'],
  doas: ['-u', '-C'],
  nohup: [],
  exec: ['-a'],
  timeout: ['-s', '-k'],
  nice: ['-n'],
  ionice: ['-c', '-n', '-p'],
  setsid: [],
  stdbuf: ['-i', '-o', '-e'],
  time: ['-f', '-o'],
  command: [],
  builtin: [],
  busybox: [],
  xargs: ['-I', '-n', '-P', '-d', '-L', '-s', '-E', '-a'],
  taskset: [],
  chrt: [],
  unbuffer: [],
};

/** The program and its arguments once wrappers and `VAR=value` prefixes are skipped. */
export function unwrap(words: readonly string[]): { name: string; args: string[] } | undefined {
  let i = 0;
  for (let guard = 0; guard < 16 && i < words.length; guard += 1) {
    while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!)) i += 1;
    const w = words[i];
    if (w === undefined) return undefined;
    const name = progName(w);
    const valueOpts = WRAPPERS[name];
    if (!valueOpts || !Object.hasOwn(WRAPPERS, name)) return { name, args: words.slice(i + 1) };
    i += 1;
    // Skip the wrapper's own options (and `timeout 5`'s duration) up to the wrapped program.
    while (i < words.length) {
      const a = words[i]!;
      if (a === '--') {
        i += 1;
        break;
      }
      if (a.startsWith('-')) {
        i += valueOpts.includes(a) ? 2 : 1;
      } else if (
        (name === 'timeout' || name === 'taskset' || name === 'chrt') &&
        /^[\d.]+[smhd]?$|^0x/.test(a)
      ) {
        i += 1;
      } else if (name === 'env' && a.includes('=')) {
        i += 1;
      } else break;
    }
  }
  return undefined;
}

/** The script of `sh -c SCRIPT` (also `bash -lc`, `sh -ec`), if these words are one. */
export function shellScript(name: string, args: readonly string[]): string | undefined {
  if (!isShell(name)) return undefined;
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i]!;
    if (!a.startsWith('-') || a === '--') return undefined;
    if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(a)) return args[i + 1];
  }
  return undefined;
}

/** The program names an exec goes by: its exe, its argv[0] and, for busybox, the applet. */
export function execNames(event: Pick<ProcessExecEvent, 'exe' | 'argv'>): string[] {
  const names = new Set<string>();
  if (event.exe) names.add(progName(event.exe));
  const top = unwrap(event.argv);
  if (event.argv[0] !== undefined) names.add(progName(event.argv[0]));
  if (top) names.add(top.name);
  return [...names].filter(Boolean);
}

/**
 * Every simple command an exec runs: itself, then the commands of its `sh -c` script, nested
 * `sh -c` scripts and substitutions included.
 */
export function commandsOf(argv: readonly string[], depth = 0): Command[] {
  if (depth > 0) return parseCommands(argv, depth);
  // Every rule asks about the same event's argv: parse it once.
  let cached = commandCache.get(argv);
  if (!cached) {
    cached = parseCommands(argv, 0);
    commandCache.set(argv, cached);
  }
  return cached;
}

const commandCache = new WeakMap<readonly string[], Command[]>();
const textCache = new WeakMap<readonly string[], string>();

function parseCommands(argv: readonly string[], depth: number): Command[] {
  const top = unwrap(argv);
  if (!top) return [];
  const out: Command[] = [{ ...top, next: 'end' }];
  const script = shellScript(top.name, top.args);
  if (script === undefined || depth >= 3) return out;
  for (const cmd of parseScript(script)) {
    const inner = unwrap(cmd.words);
    if (!inner) continue;
    out.push({ ...inner, next: cmd.next });
    const nested = shellScript(inner.name, inner.args);
    if (nested !== undefined)
      out.push(...commandsOf([inner.name, '-c', nested], depth + 1).slice(1));
  }
  return out;
}

/** Commands grouped into pipelines (`a | b`), from `commandsOf`. */
export function pipelinesOf(commands: Command[]): Command[][] {
  return pipelines(commands);
}

/** The whole text of an exec (argv joined), for substring checks. */
export function commandText(argv: readonly string[]): string {
  let text = textCache.get(argv);
  if (text === undefined) {
    text = argv.join(' ').slice(0, 64 * 1024);
    textCache.set(argv, text);
  }
  return text;
}
