/** The run report: its schema (a contract) and how it is assembled. */
export * from './schema.js';
export { buildReport, type ReportInput } from './build.js';
