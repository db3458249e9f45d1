/**
 * Domain errors carry a stable code. The API maps each code to an HTTP status once; workflows
 * raise them as non-retryable ApplicationFailures whose `type` is the code.
 */
export const ERROR_CODES = {
  UNAUTHENTICATED: { http: 401, retryable: false },
  FORBIDDEN: { http: 403, retryable: false },
  VALIDATION_FAILED: { http: 400, retryable: false },
  UNKNOWN_JURISDICTION: { http: 400, retryable: false },
  UNKNOWN_MODEL: { http: 400, retryable: false },
  UNKNOWN_TENANT: { http: 403, retryable: false },
  RESIDENCY_VIOLATION: { http: 403, retryable: false },
  NO_ELIGIBLE_SITE: { http: 503, retryable: false },
  BUDGET_EXCEEDED: { http: 402, retryable: false },
  RATE_LIMITED: { http: 429, retryable: false },
  /** the hold does not fit the API key's own budget (the tenant's may still have room) */
  KEY_BUDGET_EXCEEDED: { http: 402, retryable: false },
  /** the API key's own tokens-per-minute are spent (the tenant's may still have room) */
  KEY_RATE_LIMITED: { http: 429, retryable: false },
  /**
   * the next slice of a streamed request's output grant could not be held (the workflow did not
   * answer); generation stopped at what was granted, with finish_reason "length"
   */
  GRANT_EXHAUSTED: { http: 402, retryable: false },
  /** the API key's model allow-list does not name the requested model */
  MODEL_NOT_ALLOWED: { http: 403, retryable: false },
  /** the API's admission queue is full: back-pressure, not failure */
  OVERLOADED: { http: 429, retryable: false },
  /** the prompt has more characters than the API counts, or could not be counted in time */
  PROMPT_TOO_LARGE: { http: 413, retryable: false },
  SITE_REJECTED: { http: 422, retryable: false },
  SITE_UNAVAILABLE: { http: 503, retryable: true },
  /** the site did not answer in time: it may still have done (unbilled) work */
  SITE_TIMEOUT: { http: 504, retryable: true },
  ALL_SITES_FAILED: { http: 503, retryable: false },
  HOLD_NOT_FOUND: { http: 409, retryable: false },
  HOLD_ALREADY_RESOLVED: { http: 409, retryable: false },
  /** a request id sent again with a different body (model, messages, max_tokens, residency) */
  IDEMPOTENCY_KEY_REUSED: { http: 409, retryable: false },
  /** a streamed request id sent again while it is being served (a stream cannot be joined) */
  REQUEST_IN_PROGRESS: { http: 409, retryable: false },
  /** a streamed request id sent again after it was served (its completion is not kept anywhere) */
  REQUEST_ALREADY_SERVED: { http: 409, retryable: false },
  NOT_FOUND: { http: 404, retryable: false },
  /** this API process has no data plane configured: it cannot serve completions or embeddings */
  DATA_PLANE_UNAVAILABLE: { http: 503, retryable: true },
  SIGNATURE_INVALID: { http: 422, retryable: false },
  STATEMENT_STATE: { http: 409, retryable: false },
  /** a dispute after the statement's dispute deadline (the agreement's window): the statement is final */
  DISPUTE_WINDOW_CLOSED: { http: 409, retryable: false },
  /**
   * an agreement change reaches back into periods already settled (an effectiveFrom before a
   * schedule's settled cursor, or a rewrite of the schedule history settlement accepted): settling
   * on it would count records twice or lose them, so the run is refused and nothing is written
   */
  SCHEDULE_HISTORY_CONFLICT: { http: 409, retryable: false },
  /** a site endpoint outside its operator's allow-list (set by admins) */
  ENDPOINT_NOT_ALLOWED: { http: 403, retryable: false },
  /** the id is taken: the same answer whoever owns it, so it says nothing about other operators */
  CONFLICT: { http: 409, retryable: false },
  /**
   * a ledger write was applied on the Redis master but not confirmed on its replicas in time
   * (FEDERA_REDIS_WAIT_REPLICAS): re-issue it, it is idempotent by request id
   */
  LEDGER_NOT_REPLICATED: { http: 503, retryable: true },
  /**
   * Federa's state store (Redis: the ledger, routing inputs) could not be reached or is failing
   * over (a master killed, a connection cut): re-issue the request with the same id
   */
  STORE_UNAVAILABLE: { http: 503, retryable: true },
  /**
   * a step of the request's workflow ran out of time (Redis or Temporal failing over): nothing was
   * charged twice, retry with the same request id
   */
  CONTROL_PLANE_UNAVAILABLE: { http: 503, retryable: true },
  /**
   * a signing key given for the other purpose: the clearing key (statements, credit notes) where an
   * exchange-file key belongs or the reverse, or the API configured with the clearing key. A
   * deployment mistake, refused before anything is signed (and at startup where it can be seen)
   */
  KEY_PURPOSE_MISMATCH: { http: 500, retryable: false },
  INTERNAL: { http: 500, retryable: true },
} as const satisfies Record<string, { http: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

export class FederaError extends Error {
  override readonly name = 'FederaError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
