/**
 * Acknowledged ledger writes survive the loss of a Redis master.
 *
 * Redis replication is asynchronous: a script the master ran and answered can be lost if the
 * master dies before a replica received it, and the replica promoted in its place then never saw
 * it. With `durability` set, every money-moving script (reserve, extend, post, void, top-up) is sent
 * in one pipeline with `WAIT replicas timeoutMs` behind it. A pipeline goes to one node over one
 * connection (in a Redis Cluster, the node owning the tenant's hash-tag slot: the script is its only
 * keyed command), so WAIT counts the replicas that hold everything this connection wrote, this
 * script included. Only when at least `replicas` acknowledged does the ledger answer; otherwise it
 * throws LEDGER_NOT_REPLICATED (retryable).
 *
 * That refusal comes AFTER the master applied the write, which is safe because every script is
 * idempotent by request id (top-up id): the caller re-issues the same call, gets a replay (or, if
 * the master was lost meanwhile, applies it afresh on the new master) and waits again. A replay is
 * confirmed by a small write to the tenant's slot and a WAIT behind it (the original write may have
 * come over another connection, whose offset a WAIT on this one would not cover): the replication
 * stream is ordered, so a replica that has the later write has the earlier one. A hold whose reserve
 * was refused this way and never retried is an ordinary pending hold: the sweep releases it at its
 * expiry like any other.
 *
 * What this does not cover: WAIT says the replicas RECEIVED the write (in memory), not that they
 * wrote it to their AOF (WAITAOF needs Redis 7.2); a simultaneous loss of a master and all its
 * replicas before their next fsync (every second) can still lose it. With `replicas: 0` (the
 * default, a single Redis) acknowledged means applied on the master and in its AOF within a second.
 */
import type { Cluster, Redis } from 'ioredis';
import { FederaError } from '@federa/domain';

export interface LedgerDurability {
  /** replicas that must have a write before it is acknowledged (1 in a 3 + 3 cluster) */
  readonly replicas: number;
  /** how long to wait for them, ms (WAIT's timeout; at least 1: WAIT 0 would block forever) */
  readonly timeoutMs: number;
}

type RedisLike = Redis | Cluster;
type Pipeline = ReturnType<RedisLike['pipeline']>;

/**
 * Errors a cluster answers before running a command (redirections, a slot without a master), or
 * that leave it unknown whether it ran (a closed connection): safe to send again, every script is
 * idempotent.
 */
const NOT_RUN = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN|LOADING)\b|Connection is closed/;
const REDIRECT_ATTEMPTS = 6;

export function checkDurability(d: LedgerDurability): LedgerDurability {
  if (!Number.isSafeInteger(d.replicas) || d.replicas < 0)
    throw new FederaError('VALIDATION_FAILED', `durability.replicas must be a non-negative integer`);
  if (!Number.isSafeInteger(d.timeoutMs) || d.timeoutMs < 1)
    throw new FederaError('VALIDATION_FAILED', `durability.timeoutMs must be a positive integer`);
  return d;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function refreshSlots(redis: RedisLike): Promise<void> {
  if (!('refreshSlotsCache' in redis)) return Promise.resolve();
  return new Promise((resolve) => redis.refreshSlotsCache(() => resolve()));
}

/**
 * Send `write` (one keyed command) and WAIT behind it in one pipeline; the write's reply and how
 * many replicas acknowledged. ioredis does not re-route a cluster pipeline whose commands answered
 * differently (the write MOVED, the WAIT a number), so redirections are retried here.
 */
export async function writeThenWait(
  redis: RedisLike,
  d: LedgerDurability,
  write: (p: Pipeline) => void,
): Promise<{ reply: unknown; acked: number }> {
  for (let attempt = 1; ; attempt++) {
    const pipeline = redis.pipeline();
    write(pipeline);
    pipeline.call('WAIT', String(d.replicas), String(d.timeoutMs));
    const results = (await pipeline.exec()) ?? [];
    const [writeError, reply] = results[0] ?? [new Error('empty pipeline reply'), null];
    const [waitError, acked] = results[1] ?? [new Error('empty pipeline reply'), null];
    if (writeError) {
      if (NOT_RUN.test(writeError.message) && attempt < REDIRECT_ATTEMPTS) {
        await refreshSlots(redis);
        await pause(100 * attempt);
        continue;
      }
      throw writeError;
    }
    // the write ran but the WAIT failed (e.g. the connection dropped in between): not confirmed
    return { reply, acked: waitError ? -1 : Number(acked) };
  }
}

export function notReplicated(op: string, d: LedgerDurability, acked: number): FederaError {
  return new FederaError(
    'LEDGER_NOT_REPLICATED',
    `the ledger ${op} was applied but not confirmed on ${d.replicas} replica(s) within ${d.timeoutMs} ms; ` +
      'retry it (it is idempotent)',
    { acknowledgedBy: Math.max(acked, 0), required: d.replicas },
  );
}
