/**
 * Scenario files: the shell scripts under test/scenarios/{rogue,benign}/ and their header lines
 * (`# expect:`, `# policy:`, `# needs:`, `# hold:`, `# why:`), parsed into what the runner needs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CordonError } from '../errors.js';
import { CATEGORIES, resolvePolicy, type Category, type Policy } from '../policy/index.js';

export type ScenarioKind = 'rogue' | 'benign';
export type Expectation = Category | 'clean';

export interface Scenario {
  /** `rogue/mining-stratum-3333` (kind/file name without `.sh`). */
  name: string;
  kind: ScenarioKind;
  path: string;
  expect: Expectation;
  policy: Policy;
  needs: string[];
  /** Seconds the runner keeps the sandbox open after the script returns; 0: one-shot run. */
  holdSeconds: number;
  why: string;
}

const header = (text: string, key: string): string | undefined =>
  new RegExp(`^# ${key}: (.+)$`, 'm').exec(text)?.[1]?.trim();

function invalid(path: string, message: string): CordonError {
  return new CordonError('CORDON_E_USAGE', `Scenario ${path}: ${message}`);
}

/** Parses one scenario script. @throws CordonError CORDON_E_USAGE on a bad header. */
export function parseScenario(path: string, kind: ScenarioKind, name: string): Scenario {
  const text = readFileSync(path, 'utf8');
  const expect = header(text, 'expect');
  if (expect === undefined) throw invalid(path, 'no `# expect:` header');
  if (expect !== 'clean' && !(CATEGORIES as readonly string[]).includes(expect))
    throw invalid(path, `unknown category "${expect}"`);
  if ((kind === 'benign') !== (expect === 'clean'))
    throw invalid(path, `a ${kind} scenario cannot expect "${expect}"`);
  const policyText = header(text, 'policy');
  let policy: Policy;
  try {
    policy = resolvePolicy(policyText ? (JSON.parse(policyText) as unknown) : {});
  } catch (error) {
    throw invalid(
      path,
      `bad policy header: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const hold = Number(header(text, 'hold') ?? '0');
  if (!Number.isFinite(hold) || hold < 0 || hold > 30) throw invalid(path, 'hold must be 0..30 s');
  const needs = (header(text, 'needs') ?? '').split(/[\s,]+/).filter(Boolean);
  return {
    name,
    kind,
    path,
    expect: expect as Expectation,
    policy,
    needs,
    holdSeconds: hold,
    why: header(text, 'why') ?? '',
  };
}

/**
 * Every scenario under `dir` (rogue first, then benign, by name); `only` keeps those whose name or
 * file name matches one of the entries (`mining-stratum-3333` or `rogue/mining-stratum-3333`).
 */
export function loadScenarios(corpusDir: string, only?: readonly string[]): Scenario[] {
  // Absolute paths: they become bind sources, and the sandbox layer walks up from them.
  const dir = resolve(corpusDir);
  const out: Scenario[] = [];
  for (const kind of ['rogue', 'benign'] as const) {
    let files: string[];
    try {
      files = readdirSync(join(dir, kind));
    } catch {
      continue;
    }
    for (const file of files.filter((f) => f.endsWith('.sh')).sort()) {
      const name = `${kind}/${file.slice(0, -3)}`;
      if (
        only?.length &&
        !only.some(
          (o) => o.replace(/\.sh$/, '') === name || o === file.slice(0, -3) || `${o}.sh` === file,
        )
      )
        continue;
      out.push(parseScenario(join(dir, kind, file), kind, name));
    }
  }
  if (out.length === 0)
    throw new CordonError(
      'CORDON_E_USAGE',
      `No scenarios found under ${dir}${only?.length ? ` matching ${only.join(',')}` : ''}`,
    );
  return out;
}
