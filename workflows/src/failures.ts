/** Domain errors leave activities as ApplicationFailures whose `type` is the stable error code. */
import { ApplicationFailure } from '@temporalio/common';
import { ERROR_CODES, FederaError } from '@federa/domain';

export function toFailure(err: unknown): unknown {
  if (err instanceof FederaError) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.code,
      nonRetryable: !ERROR_CODES[err.code].retryable,
      details: err.details ? [err.details] : [],
    });
  }
  return err;
}

/** Wrap an activity so that a FederaError it throws becomes a typed ApplicationFailure. */
export function withFailures<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await fn(...args);
    } catch (err) {
      throw toFailure(err);
    }
  };
}
