/**
 * Loading a policy: parse YAML or JSON, validate the user's keys strictly, merge over the preset,
 * validate again and freeze. Every problem is reported with its path; nothing runs on a bad policy.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { z } from 'zod';
import { CordonError, ValidationError, type Problem } from '../errors.js';
import { PRESETS } from './presets.js';
import {
  PolicyFileSchema,
  PolicySchema,
  PresetNameSchema,
  type Policy,
  type PolicyInput,
  type PresetName,
} from './schema.js';

// yaml (74 modules, ~40 ms to load) is needed only to parse policy text: `cordon run` with a
// preset never does. It is CommonJS on Node, so it can be required synchronously when first used.
const require = createRequire(import.meta.url);
let yaml: typeof Yaml | undefined;
const loadYaml = (): typeof Yaml => (yaml ??= require('yaml') as typeof Yaml);

/** Turns zod issues into `path: message` problems (path `(root)` for the document itself). */
export function zodProblems(error: z.ZodError, prefix = ''): Problem[] {
  return error.issues.map((issue) => {
    const parts = [prefix, ...issue.path.map(String)].filter(Boolean);
    return { path: parts.length ? parts.join('.') : '(root)', message: issue.message };
  });
}

type Mergeable = Record<string, unknown>;

function mergeSection(base: unknown, over: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(over))
    return [...new Set<unknown>([...(base as unknown[]), ...(over as unknown[])])];
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Mergeable = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = k in base ? mergeSection(base[k], v) : v;
    return out;
  }
  return over === undefined ? base : over;
}

function isPlainObject(v: unknown): v is Mergeable {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Resolves a preset by name into a full, frozen policy. */
export function presetPolicy(name: PresetName = 'strict'): Policy {
  const parsed = PresetNameSchema.safeParse(name);
  if (!parsed.success) throw new CordonError('CORDON_E_PRESET_UNKNOWN', `No such preset: ${name}`);
  return deepFreeze(PolicySchema.parse(PRESETS[parsed.data]));
}

/**
 * Policies resolved lately, by their input's JSON: a trainer creates thousands of sandboxes with
 * the same policy, and validating and merging it again took most of a millisecond each time.
 * Safe to share: a resolved policy is deeply frozen and depends on nothing but its input.
 */
const resolved = new Map<string, Policy>();
const RESOLVED_MAX = 64;

/**
 * Validates a policy object (as written by a user or sent to the API) and merges it over its preset.
 * @example resolvePolicy({ network: { allow: ['registry.test:443/tls'] } })
 */
export function resolvePolicy(input: unknown): Policy {
  const key = isPlainJson(input ?? {}, 0) ? JSON.stringify(input ?? {}) : undefined;
  const hit = key === undefined ? undefined : resolved.get(key);
  if (hit) return hit;
  const policy = resolveUncached(input);
  if (key !== undefined) {
    if (resolved.size >= RESOLVED_MAX) resolved.delete(resolved.keys().next().value!);
    resolved.set(key, policy);
  }
  return policy;
}

/**
 * True when `value` is exactly what its JSON says: plain objects and dense arrays of strings,
 * finite numbers (not -0), booleans and null. Anything else (a function, undefined, a Date, NaN)
 * would print the same JSON as a different input, so it is resolved without the cache.
 */
function isPlainJson(value: unknown, depth: number): boolean {
  if (depth > 32) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value) || !isPlainJson(value[i], depth + 1)) return false;
    }
    return true;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  if (Object.getOwnPropertySymbols(value).length > 0) return false;
  // Only enumerable data properties: what JSON prints is then all a validator can read.
  return Object.values(Object.getOwnPropertyDescriptors(value)).every(
    (d) => d.enumerable === true && 'value' in d && isPlainJson(d.value, depth + 1),
  );
}

function resolveUncached(input: unknown): Policy {
  const file = PolicyFileSchema.safeParse(input ?? {});
  if (!file.success) throw new ValidationError('CORDON_E_POLICY_INVALID', zodProblems(file.error));
  const preset = PRESETS[file.data.preset ?? 'strict'];
  const merged = mergeSection(preset, file.data) as PolicyInput;
  const full = PolicySchema.safeParse(merged);
  if (!full.success) throw new ValidationError('CORDON_E_POLICY_INVALID', zodProblems(full.error));
  return deepFreeze(full.data);
}

/** Parses policy text (YAML is a superset of JSON) and resolves it. */
export function parsePolicyText(text: string, source = 'policy'): Policy {
  let doc: unknown;
  const { parse: parseYaml, YAMLParseError } = loadYaml();
  try {
    doc = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (error) {
    const msg = error instanceof YAMLParseError ? error.message.split('\n')[0] : String(error);
    throw new ValidationError('CORDON_E_POLICY_INVALID', [
      { path: source, message: `not valid YAML/JSON: ${msg}` },
    ]);
  }
  if (doc !== null && doc !== undefined && !isPlainObject(doc)) {
    throw new ValidationError('CORDON_E_POLICY_INVALID', [
      { path: '(root)', message: 'must be a mapping of policy keys' },
    ]);
  }
  return resolvePolicy(doc ?? {});
}

/** Reads and resolves a policy file. */
export function loadPolicyFile(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CordonError('CORDON_E_POLICY_NOT_FOUND', `Cannot read policy file ${file}`, {
      cause: error,
    });
  }
  return parsePolicyText(text, file);
}

/** Stable sha256 over the canonical JSON of a resolved policy (sorted keys). */
export function policyDigest(policy: Policy): string {
  return 'sha256:' + createHash('sha256').update(canonicalJson(policy)).digest('hex');
}

/** JSON with object keys sorted, so equal values always serialize identically. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    isPlainObject(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
