/** Policy: schema, presets, loading and validation. */
export * from './schema.js';
export { PRESETS, ALWAYS_DENY_READ, DEFAULT_ENV_ALLOW } from './presets.js';
export {
  resolvePolicy,
  parsePolicyText,
  loadPolicyFile,
  presetPolicy,
  policyDigest,
  canonicalJson,
  zodProblems,
} from './load.js';
