/** The run report: its schema (a contract) and helpers. */
export * from './schema.js';
