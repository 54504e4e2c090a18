/** The audit trail: a hash-chained SQLite store of every event and finding, verify, prune, export. */
export { AuditStore, defaultDataDir, type AuditStoreOptions } from './store.js';
export type { AuditRecord, ChainPoint, StoreHandle } from './schema.js';
export type { QueryFilter, FindingFilter, StoredFinding, SandboxSummary } from './query.js';
export { MAX_QUERY_LIMIT } from './query.js';
export { verify, type VerifyResult, type ChainProblem } from './verify.js';
export { prune, type PruneResult } from './prune.js';
export { exportRecords, type ExportFormat } from './export.js';
export { toOcsf, OCSF_VERSION } from './ocsf.js';
export { canonicalBody, canonicalRecord, recordHash, GENESIS_HASH } from './canonical.js';
