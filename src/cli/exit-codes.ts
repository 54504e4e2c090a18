/** Exit statuses of the `cordon` CLI that are cordon's own (documented in docs/errors.md). */
export const EXIT = {
  OK: 0,
  USAGE: 2,
  KILLED_BY_POLICY: 122,
  TIMEOUT: 124,
  CORDON_FAILURE: 125,
} as const;
