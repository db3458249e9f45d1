/**
 * Which Redis failures mean "Federa's state store could not be reached or is failing over" rather
 * than a bug: a node killed or restarting, a cluster electing a new master, a connection cut. A
 * write may or may not have been applied; every ledger write is idempotent by its request (or
 * top-up) id, so the answer is a retryable STORE_UNAVAILABLE (HTTP 503, and a retried Temporal
 * activity) instead of an INTERNAL error that tells the client nothing. A full store (OOM under
 * noeviction) or a script error stays internal: retrying would not help.
 */
import { FederaError } from '@federa/domain';

const UNAVAILABLE = new RegExp(
  [
    // the cluster or node says it cannot serve right now
    '^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|READONLY)',
    // ioredis: the connection is gone, or could not be made or kept
    'Connection is closed',
    'ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH',
    'max retries per request',
    'None of startup nodes is available',
    'Failed to refresh slots cache',
    'Too many Cluster redirections',
    'Command timed out',
  ].join('|'),
  'i',
);

/** the error says the store is out of reach for now (never true of a FederaError) */
export function isStoreUnavailable(err: unknown): boolean {
  if (err instanceof FederaError || !(err instanceof Error)) return false;
  return UNAVAILABLE.test(err.message);
}

/** `err` as a retryable STORE_UNAVAILABLE when the store is out of reach, else unchanged */
export function storeUnavailableOr(err: unknown): unknown {
  if (!isStoreUnavailable(err)) return err;
  return new FederaError(
    'STORE_UNAVAILABLE',
    "Federa's state store is unreachable or failing over; retry with the same request id",
  );
}
