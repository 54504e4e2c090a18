/**
 * Every error code cordon raises, with its message template and HTTP status.
 * One table, so the CLI, the API and the docs agree; a test checks each code is documented
 * in docs/errors.md.
 */

export const ERROR_CODES = {
  CORDON_E_POLICY_INVALID: { status: 400, message: 'The policy is invalid' },
  CORDON_E_POLICY_NOT_FOUND: { status: 404, message: 'The policy file does not exist' },
  CORDON_E_PRESET_UNKNOWN: { status: 400, message: 'No such policy preset' },
  CORDON_E_USAGE: { status: 400, message: 'Bad command-line usage' },
  CORDON_E_BODY_INVALID: { status: 400, message: 'The request body is invalid' },
  CORDON_E_BODY_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  CORDON_E_UNAUTHORIZED: { status: 401, message: 'A valid bearer token is required' },
  CORDON_E_NOT_FOUND: { status: 404, message: 'No such resource' },
  CORDON_E_HOST_UNSUPPORTED: { status: 500, message: 'The host lacks a feature cordon needs' },
  CORDON_E_BWRAP_MISSING: { status: 500, message: 'bubblewrap (bwrap) is not installed' },
  CORDON_E_HELPER_MISSING: { status: 500, message: 'cordon native helpers are not built' },
  CORDON_E_CGROUP: { status: 500, message: 'Could not set up the sandbox cgroup' },
  CORDON_E_SECCOMP: { status: 500, message: 'Could not install the seccomp filter' },
  CORDON_E_SANDBOX_START: { status: 500, message: 'The sandbox failed to start' },
  CORDON_E_SANDBOX_STATE: {
    status: 409,
    message: 'The sandbox is not in a state that allows this',
  },
  CORDON_E_NETWORK_SETUP: { status: 500, message: 'Could not set up the sandbox network' },
  CORDON_E_MONITOR_UNAVAILABLE: { status: 500, message: 'A required monitor is unavailable' },
  CORDON_E_AUDIT_CORRUPT: { status: 500, message: 'The audit chain does not verify' },
  CORDON_E_AUDIT_IO: { status: 500, message: 'The audit store could not be read or written' },
  CORDON_E_TASK_INVALID: { status: 400, message: 'The task file is invalid' },
  CORDON_E_AGENT: { status: 500, message: 'The agent failed' },
  CORDON_E_INTERNAL: { status: 500, message: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A typed cordon error: a stable `code`, the HTTP status it maps to, and data for callers. */
export class CordonError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message ?? ERROR_CODES[code].message, { cause: options?.cause });
    this.name = 'CordonError';
    this.code = code;
    this.statusCode = ERROR_CODES[code].status;
    this.details = options?.details;
  }
}

/** One problem found while validating input: where (`path`) and what (`message`). */
export interface Problem {
  path: string;
  message: string;
}

/** Validation failure carrying every problem, printed by the CLI as `path: message` lines. */
export class ValidationError extends CordonError {
  readonly problems: Problem[];

  constructor(code: ErrorCode, problems: Problem[], message?: string) {
    super(code, message ?? problems.map((p) => `${p.path}: ${p.message}`).join('\n'), {
      details: { problems },
    });
    this.name = 'ValidationError';
    this.problems = problems;
  }
}

export function isCordonError(error: unknown): error is CordonError {
  return error instanceof CordonError;
}
