/**
 * Where settlement lives in Redis. Issued statements are write-once (HSETNX): a closed statement is
 * never rewritten. Their lifecycle (accepted, disputed, resolved) is kept beside them, not in them.
 */
import type { Cluster, Redis } from 'ioredis';
import type { DisputeAdjustment } from './statement';

export type StatementStatus = 'issued' | 'accepted' | 'disputed' | 'resolved';

export interface Dispute {
  readonly by: string;
  readonly at: string;
  readonly lines: readonly {
    readonly lineNo: number;
    readonly claimed: number;
    readonly stated: number;
    readonly difference: number;
  }[];
}

export interface Lifecycle {
  readonly status: StatementStatus;
  readonly acceptedBy: readonly string[];
  readonly dispute: Dispute | null;
  readonly resolution:
    (DisputeAdjustment & { readonly by: string; readonly at: string; readonly targetPeriod: string }) | null;
}

export interface StatementIndexEntry {
  readonly statementId: string;
  readonly periodId: string;
  readonly parties: readonly [string, string];
}

export class SettlementStore {
  private readonly k: Record<'statements' | 'settled' | 'lifecycle' | 'adjustments' | 'cursor', string> & {
    byOperator: (op: string) => string;
    refs: (id: string, line: number) => string;
  };

  constructor(
    readonly redis: Redis | Cluster,
    namespace = 'default',
  ) {
    const p = `federa:settlement:${namespace}`;
    this.k = {
      statements: `${p}:statements`,
      settled: `${p}:settled`,
      lifecycle: `${p}:lifecycle`,
      adjustments: `${p}:adjustments`,
      cursor: `${p}:cursor`,
      byOperator: (op) => `${p}:by-operator:${op}`,
      refs: (id, line) => `${p}:refs:${id}:${line}`,
    };
  }

  /** Store an issued statement once; returns the stored JWS (the first one, on a re-run). */
  async issue(entry: StatementIndexEntry, jws: string, periodStartMs: number): Promise<string> {
    const created = await this.redis.hsetnx(this.k.statements, entry.statementId, jws);
    if (created) {
      const lifecycle: Lifecycle = { status: 'issued', acceptedBy: [], dispute: null, resolution: null };
      await this.redis
        .multi()
        .hsetnx(this.k.lifecycle, entry.statementId, JSON.stringify(lifecycle))
        .zadd(this.k.byOperator(entry.parties[0]), periodStartMs, entry.statementId)
        .zadd(this.k.byOperator(entry.parties[1]), periodStartMs, entry.statementId)
        .exec();
      return jws;
    }
    return (await this.redis.hget(this.k.statements, entry.statementId)) ?? jws;
  }

  /** Record references of one line, replaced whole (a re-run writes the same list). */
  async putRefs(statementId: string, lineNo: number, refs: readonly string[]): Promise<void> {
    const key = this.k.refs(statementId, lineNo);
    await this.redis.del(key);
    for (let i = 0; i < refs.length; i += 5000) await this.redis.rpush(key, ...refs.slice(i, i + 5000));
  }

  async refs(statementId: string, lineNo: number, offset = 0, limit = 1000): Promise<string[]> {
    return this.redis.lrange(this.k.refs(statementId, lineNo), offset, offset + limit - 1);
  }

  async allRefs(statementId: string, lineNo: number): Promise<string[]> {
    return this.redis.lrange(this.k.refs(statementId, lineNo), 0, -1);
  }

  async markSettled(periodId: string): Promise<void> {
    await this.redis.sadd(this.k.settled, periodId);
  }

  async isSettled(periodId: string): Promise<boolean> {
    return (await this.redis.sismember(this.k.settled, periodId)) === 1;
  }

  async cursor(): Promise<number | null> {
    const v = await this.redis.get(this.k.cursor);
    return v === null ? null : Number(v);
  }

  /** Advance (never rewind) the end of the last settled period. */
  async advanceCursor(endMs: number): Promise<void> {
    const current = await this.cursor();
    if (current === null || endMs > current) await this.redis.set(this.k.cursor, String(endMs));
  }

  async get(statementId: string): Promise<string | null> {
    return this.redis.hget(this.k.statements, statementId);
  }

  async forOperator(operator: string | null, limit = 200): Promise<string[]> {
    if (operator) return this.redis.zrevrange(this.k.byOperator(operator), 0, limit - 1);
    return (await this.redis.hkeys(this.k.statements)).sort().reverse().slice(0, limit);
  }

  async lifecycle(statementId: string): Promise<Lifecycle | null> {
    const raw = await this.redis.hget(this.k.lifecycle, statementId);
    return raw ? (JSON.parse(raw) as Lifecycle) : null;
  }

  async setLifecycle(statementId: string, next: Lifecycle): Promise<void> {
    await this.redis.hset(this.k.lifecycle, statementId, JSON.stringify(next));
  }

  /** Resolution adjustments settled in `targetPeriod`'s statements. */
  async addAdjustment(targetPeriod: string, adj: DisputeAdjustment): Promise<void> {
    await this.redis.hset(
      this.k.adjustments,
      `${targetPeriod}|${adj.statementId}`,
      JSON.stringify({ targetPeriod, ...adj }),
    );
  }

  async adjustmentsFor(periodId: string): Promise<DisputeAdjustment[]> {
    const all = await this.redis.hgetall(this.k.adjustments);
    return Object.entries(all)
      .filter(([k]) => k.startsWith(`${periodId}|`))
      .map(([, v]) => JSON.parse(v) as DisputeAdjustment & { targetPeriod?: string })
      .map(({ statementId, originalPeriod, creditor, debtor, amount }) => ({
        statementId,
        originalPeriod,
        creditor,
        debtor,
        amount,
      }));
  }
}
