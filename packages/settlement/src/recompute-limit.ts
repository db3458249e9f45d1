/**
 * Recomputing a statement reads every usage record of its period: the expensive call of the
 * settlement API. Each caller gets a small token bucket in Redis (shared by every API process), so
 * no one can turn `settlement.verify` into a way to keep Redis busy.
 */
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import { FederaError } from '@federa/domain';

export interface RecomputeLimit {
  /** recomputes a caller may make in a row */
  readonly burst: number;
  /** one more recompute becomes available this often */
  readonly everyMs: number;
}

export const DEFAULT_RECOMPUTE_LIMIT: RecomputeLimit = { burst: 5, everyMs: 12_000 };

const SCRIPT = readFileSync(new URL('./lua/token-bucket.lua', import.meta.url), 'utf8');
interface Commands {
  federaSettleTakeToken(key: string, now: string, burst: string, every: string): Promise<[number, number]>;
}

export class RecomputeLimiter {
  private readonly cmd: Commands;

  constructor(
    redis: Redis | Cluster,
    private readonly keyPrefix: string,
    private readonly limit: RecomputeLimit = DEFAULT_RECOMPUTE_LIMIT,
  ) {
    if (!('federaSettleTakeToken' in redis))
      redis.defineCommand('federaSettleTakeToken', { numberOfKeys: 1, lua: SCRIPT });
    this.cmd = redis as unknown as Commands;
  }

  /** Take one recompute for `caller`, or throw RATE_LIMITED saying when to retry. */
  async take(caller: string, nowMs = Date.now()): Promise<void> {
    const [taken, waitMs] = await this.cmd.federaSettleTakeToken(
      `${this.keyPrefix}:${caller}`,
      String(nowMs),
      String(this.limit.burst),
      String(this.limit.everyMs),
    );
    if (taken !== 1)
      throw new FederaError(
        'RATE_LIMITED',
        `too many statement recomputes; retry in ${Math.ceil(waitMs / 1000)} s`,
        { retryAfterMs: waitMs },
      );
  }
}
