/**
 * A request id names one request: the same id with another body is refused, whatever became of the
 * first. The API keeps a fingerprint of the first body under the id (Redis `SET NX`, in the tenant's
 * `{t:<tenant>}` slot, for the replay window) and compares each later submission with it. `SET NX`
 * is atomic, so of two simultaneous first submissions with different bodies exactly one wins.
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { FederaError, type CompleteInput } from '@federa/domain';

/**
 * What a request id is bound to: tRPC's CompleteInput, or a /v1 request (whose max_tokens may be
 * absent: quota granted in slices).
 */
export type FingerprintInput = Pick<CompleteInput, 'requestId' | 'model'> & {
  readonly messages: readonly Pick<CompleteInput['messages'][number], 'role' | 'content'>[];
  readonly max_tokens?: number | undefined;
  readonly residency?: readonly string[] | undefined;
};

/** SHA-256 (hex) over a canonical form of what decides the answer: model, messages, max_tokens, residency. */
export function requestFingerprint(input: FingerprintInput): string {
  const canonical = JSON.stringify([
    input.model,
    input.messages.map((m) => [m.role, m.content]),
    // absent serialises as null, as JSON arrays do
    input.max_tokens ?? null,
    // residency is a set: its order and repeats do not change the request
    input.residency ? [...new Set(input.residency.map((r) => r.toUpperCase()))].sort() : null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

export function fingerprintKey(tenantId: string, requestId: string): string {
  return `{t:${tenantId}}:fp:${requestId}`;
}

/** Bind the request id to this body, or refuse with IDEMPOTENCY_KEY_REUSED if it names another. */
export async function claimRequestId(
  redis: Redis | Cluster,
  tenantId: string,
  input: FingerprintInput,
  /** the replay window (FEDERA_HOLD_REPLAY_WINDOW_MS): the resolved hold is kept as long */
  ttlMs: number,
): Promise<void> {
  const key = fingerprintKey(tenantId, input.requestId);
  const fingerprint = requestFingerprint(input);
  const set = await redis.set(key, fingerprint, 'PX', ttlMs, 'NX');
  if (set === 'OK') return;
  const first = await redis.get(key);
  // null: the binding expired between the two calls; the id is free again
  if (first !== null && first !== fingerprint) {
    throw new FederaError(
      'IDEMPOTENCY_KEY_REUSED',
      `request id '${input.requestId}' was already used for a different request`,
    );
  }
}
