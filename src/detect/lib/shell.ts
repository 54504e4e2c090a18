/**
 * Just enough shell parsing for rules: split a `sh -c` script into simple commands joined by
 * operators, with quotes removed and `$(...)`, backticks and `<(...)` parsed as commands too.
 * It never throws and never loops on hostile input; it is a reader of intent, not a shell.
 */

export type Joiner = '|' | '||' | '&&' | ';' | '&' | 'end';

export interface SimpleCommand {
  words: string[];
  /** How this command connects to the next one. */
  next: Joiner;
}

const MAX_SCRIPT = 64 * 1024;
const MAX_DEPTH = 4;

/** Index just past the `)` closing the group opened before `start` (or the end of text). */
function closeParen(text: string, start: number): number {
  let depth = 1;
  let quote: string | undefined;
  for (let i = start; i < text.length; i += 1) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i += 1;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i += 1;
    else if (c === '(') depth += 1;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  return text.length;
}

/** Splits a script into simple commands (substitutions included, after their parent). */
export function parseScript(script: string, depth = 0): SimpleCommand[] {
  const text = script.length > MAX_SCRIPT ? script.slice(0, MAX_SCRIPT) : script;
  const out: SimpleCommand[] = [];
  const subs: string[] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  const endWord = (): void => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (next: Joiner): void => {
    endWord();
    if (words.length > 0) out.push({ words, next });
    else if (out.length > 0 && next !== 'end') out[out.length - 1]!.next = next;
    words = [];
  };
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    const n = text[i + 1];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
      continue;
    }
    if (c === '\\' && n !== undefined) {
      if (n !== '\n') word += n;
      inWord = true;
      i += 1;
      continue;
    }
    if ((c === '$' || c === '<' || c === '>') && n === '(') {
      const end = closeParen(text, i + 2);
      subs.push(text.slice(i + 2, Math.max(i + 2, end - 1)));
      word += text.slice(i, end);
      inWord = true;
      i = end - 1;
      continue;
    }
    if (c === '`') {
      const end = text.indexOf('`', i + 1);
      const stop = end === -1 ? text.length : end;
      subs.push(text.slice(i + 1, stop));
      word += text.slice(i, stop + 1);
      inWord = true;
      i = stop;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else word += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
      continue;
    }
    if (c === ' ' || c === '\t') {
      endWord();
      continue;
    }
    if (c === '\n' || c === ';') {
      endCommand(';');
      continue;
    }
    if (c === '|') {
      if (n === '|') {
        endCommand('||');
        i += 1;
      } else {
        endCommand('|');
        if (n === '&') i += 1;
      }
      continue;
    }
    if (c === '&') {
      // `>&`, `2>&1`, `&>` and `<&` are redirections, not operators.
      if (word.endsWith('>') || word.endsWith('<') || n === '>') {
        word += c;
        inWord = true;
        continue;
      }
      if (n === '&') {
        endCommand('&&');
        i += 1;
      } else endCommand('&');
      continue;
    }
    if (c === '(' || c === ')' || c === '{' || c === '}') {
      if (!inWord) {
        endCommand(';');
        continue;
      }
    }
    word += c;
    inWord = true;
  }
  endCommand('end');
  if (depth < MAX_DEPTH) for (const sub of subs) out.push(...parseScript(sub, depth + 1));
  return out;
}

/** Groups commands into pipelines (`a | b | c`). */
export function pipelines<T extends { next: Joiner }>(commands: readonly T[]): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  for (const cmd of commands) {
    cur.push(cmd);
    if (cmd.next !== '|') {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
