/**
 * A tenant's pending holds at a glance, for the metrics collector (read at scrape time, never on a
 * request's path): how many there are and when the first of them expires. Pending holds are exactly
 * the members of the tenant's expiry set (post, void and expiry take a hold out of it); the money
 * they hold is the account's `pending` figure.
 */
import type { Cluster, Redis } from 'ioredis';
import { tenantKeys } from './keys';

export interface PendingSummary {
  readonly count: number;
  /** expiry of the hold that expires first (ms since the epoch), or null when none is pending */
  readonly firstExpiresAt: number | null;
}

export async function readPendingSummary(redis: Redis | Cluster, tenantId: string): Promise<PendingSummary> {
  const k = tenantKeys(tenantId);
  const [count, first] = await Promise.all([
    redis.zcard(k.expiry),
    redis.zrange(k.expiry, 0, 0, 'WITHSCORES'),
  ]);
  return { count, firstExpiresAt: first.length === 2 ? Number(first[1]) : null };
}
