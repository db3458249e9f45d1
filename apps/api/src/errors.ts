/**
 * The one place where domain error codes become tRPC/HTTP errors. Every error response carries
 * `data.code` (tRPC's) and `data.federaCode` (ours, stable).
 */
import { TRPCError, type TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { ApplicationFailure, TimeoutFailure, WorkflowFailedError } from '@temporalio/client';
import { ERROR_CODES, FederaError, isErrorCode } from '@federa/domain';

const BY_STATUS: Record<number, TRPC_ERROR_CODE_KEY> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  402: 'PAYMENT_REQUIRED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  422: 'UNPROCESSABLE_CONTENT',
  504: 'TIMEOUT',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
  500: 'INTERNAL_SERVER_ERROR',
};

export function toTRPCError(err: FederaError): TRPCError {
  const status = ERROR_CODES[err.code].http;
  return new TRPCError({
    code: BY_STATUS[status] ?? 'INTERNAL_SERVER_ERROR',
    message: err.message,
    cause: err,
  });
}

/**
 * Find the business failure at the root of a workflow failure (it may be wrapped by an
 * ActivityFailure). A workflow that failed because one of its activities ran out of time (the
 * admission or the settlement could not reach Redis or Temporal while one was failing over) is a
 * retryable CONTROL_PLANE_UNAVAILABLE: every step is idempotent by request id.
 */
export function domainErrorOfWorkflow(err: unknown): FederaError | null {
  if (!(err instanceof WorkflowFailedError)) return null;
  let cause: unknown = err.cause;
  while (cause) {
    if (cause instanceof TimeoutFailure)
      return new FederaError(
        'CONTROL_PLANE_UNAVAILABLE',
        'the control plane did not complete this request in time (a store or server failing over); retry it with the same request id',
      );
    if (cause instanceof ApplicationFailure && isErrorCode(cause.type)) {
      const details: unknown = cause.details?.[0];
      return new FederaError(
        cause.type,
        cause.message,
        details && typeof details === 'object' ? (details as Record<string, unknown>) : undefined,
      );
    }
    cause = (cause as { cause?: unknown }).cause;
  }
  return null;
}

/** Our stable code for any error leaving the API. */
export function federaCodeOf(error: TRPCError): string {
  const cause = error.cause;
  if (cause instanceof FederaError) return cause.code;
  switch (error.code) {
    case 'BAD_REQUEST':
      if (cause instanceof SyntaxError) return 'MALFORMED_JSON';
      return cause?.name === 'ZodError' || cause?.name === '$ZodError' ? 'VALIDATION_FAILED' : 'BAD_REQUEST';
    case 'PARSE_ERROR':
      return 'MALFORMED_JSON';
    case 'PAYLOAD_TOO_LARGE':
      return 'PAYLOAD_TOO_LARGE';
    case 'NOT_FOUND':
      return 'NOT_FOUND';
    case 'METHOD_NOT_SUPPORTED':
      return 'METHOD_NOT_SUPPORTED';
    case 'UNAUTHORIZED':
      return 'UNAUTHENTICATED';
    case 'FORBIDDEN':
      return 'FORBIDDEN';
    case 'CLIENT_CLOSED_REQUEST':
      // the client left; nobody reads this answer, and it is not an internal failure
      return 'CLIENT_CLOSED_REQUEST';
    default:
      return 'INTERNAL';
  }
}

/** Seconds a client should wait before retrying, when the error says so. */
export function retryAfterSeconds(error: TRPCError): number | undefined {
  const cause = error.cause;
  if (!(cause instanceof FederaError)) return undefined;
  const ms = cause.details?.retryAfterMs;
  return typeof ms === 'number' && ms >= 0 ? Math.max(1, Math.ceil(ms / 1000)) : undefined;
}

const correlationIds = new WeakMap<TRPCError, string>();

/**
 * The id that ties an internal error's (generic) response to its log line: the error formatter and
 * the server's onError both ask for it, whichever runs first creates it.
 */
export function correlationIdOf(error: TRPCError): string {
  let id = correlationIds.get(error);
  if (!id) {
    id = crypto.randomUUID();
    correlationIds.set(error, id);
  }
  return id;
}

/** Internal failures (Redis, Temporal, bugs) say nothing about our internals to clients. */
export function isInternal(error: TRPCError): boolean {
  return federaCodeOf(error) === 'INTERNAL';
}
