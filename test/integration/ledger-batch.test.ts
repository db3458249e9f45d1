/**
 * Group commit (ledger-batch.ts, batch.lua) against real Redis and Redis Cluster: a tenant's
 * reserves and posts of one event-loop turn go as one call, and that must change nothing but the
 * cost. The property: any sequence of reserves and posts, fired together so they batch, gives each
 * operation the same answer and leaves the same account and holds as the same sequence made one
 * call at a time, awaited, at the same clock reading. Also: a batch of a budget race never
 * over-holds, a Redis error in one operation fails that operation only, a malformed batch changes
 * nothing, and a Redis that lost the library gets it back on the next call.
 */
import fc from 'fast-check';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LEDGER_LIBRARY_VERSION,
  Ledger,
  MAX_BATCH,
  callLedger,
  scriptKeys,
  tenantKeys,
  type AccountSettings,
} from '@federa/ledger';
import { uniqueSuffix } from '../support/harness';
import { REDIS_BACKENDS } from '../support/redis-backends';
import { sampleUsageRecord } from '../support/usage-record';

type Op =
  | { kind: 'reserve'; id: string; amount: number; expiresIn: number; tokens: number; attempt: string }
  | { kind: 'post'; id: string; actual: number; actualTokens: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('reserve' as const),
    id: fc.constantFrom('a', 'b', 'c', 'd'),
    amount: fc.integer({ min: 0, max: 400 }),
    // some holds are due the moment they are made: the next operation expires them
    expiresIn: fc.integer({ min: -5, max: 60_000 }),
    tokens: fc.integer({ min: 0, max: 3000 }),
    attempt: fc.constantFrom('', 'run-1', 'run-2'),
  }),
  fc.record({
    kind: fc.constant('post' as const),
    id: fc.constantFrom('a', 'b', 'c', 'd'),
    actual: fc.integer({ min: 0, max: 500 }),
    actualTokens: fc.integer({ min: 0, max: 3000 }),
  }),
);

/** an operation's outcome, without what differs by nature between two runs (stream ids) */
function outcome(result: PromiseSettledResult<unknown>): unknown {
  if (result.status === 'rejected') {
    const err = result.reason as { code?: string; message?: string };
    return { refused: err.code ?? err.message };
  }
  const { recordId, ...rest } = result.value as { recordId: string | null };
  return { ...rest, recorded: recordId !== null };
}

describe.each(REDIS_BACKENDS)('the ledger group commit on %s', (_name, connect) => {
  let redis: Redis | Cluster;
  const now = Date.UTC(2026, 10, 15, 12);
  let batched: Ledger;
  let oneByOne: Ledger;

  beforeAll(() => {
    redis = connect();
    batched = new Ledger(redis, { clock: () => now });
    oneByOne = new Ledger(redis, { clock: () => now, groupCommit: false });
  });
  afterAll(() => redis.disconnect());

  const apply = (ledger: Ledger, t: string, op: Op) =>
    op.kind === 'reserve'
      ? ledger.reserve({
          tenantId: t,
          requestId: op.id,
          amount: op.amount,
          expiresAt: now + op.expiresIn,
          tokens: op.tokens,
          attempt: op.attempt,
        })
      : ledger.post({
          tenantId: t,
          requestId: op.id,
          actual: op.actual,
          actualTokens: op.actualTokens,
          record: sampleUsageRecord(t, op.id, op.actual),
        });

  async function state(ledger: Ledger, t: string) {
    const holds = await Promise.all(['a', 'b', 'c', 'd'].map((id) => ledger.hold(t, id)));
    return {
      account: await ledger.account(t),
      holds: holds.map((h) => h && { ...h, recordId: h.recordId !== null }),
      records: await ledger.usageCount(t),
      // what the sweep works from: pending holds by expiry, resolved ones by resolution time
      expiry: await redis.zrange(tenantKeys(t).expiry, 0, -1, 'WITHSCORES'),
      resolved: await redis.zrange(tenantKeys(t).resolved, 0, -1, 'WITHSCORES'),
    };
  }

  it('answers every operation and leaves the ledger as the same calls made one at a time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 3 * MAX_BATCH }),
        fc.integer({ min: 0, max: 2000 }),
        fc.constantFrom(0, 5000),
        fc.constantFrom<AccountSettings['mode']>('prepaid', 'period'),
        async (ops, budget, tokensPerMinute, mode) => {
          const [b, s] = [uniqueSuffix(), uniqueSuffix()];
          const settings = { budget, tokensPerMinute, mode };
          await batched.ensureAccount(b, settings);
          await oneByOne.ensureAccount(s, settings);
          // fired together: they share batches (of up to MAX_BATCH)
          const together = await Promise.allSettled(ops.map((op) => apply(batched, b, op)));
          const sequential: PromiseSettledResult<unknown>[] = [];
          for (const op of ops) {
            sequential.push(
              await apply(oneByOne, s, op).then(
                (value) => ({ status: 'fulfilled', value }) as const,
                (reason: unknown) => ({ status: 'rejected', reason }) as const,
              ),
            );
          }
          expect(together.map(outcome)).toEqual(sequential.map(outcome));
          expect(await state(batched, b)).toEqual(await state(oneByOne, s));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('never holds more than the budget when a batch races for it', async () => {
    const t = uniqueSuffix();
    await batched.ensureAccount(t, { budget: 10 * 300, mode: 'prepaid' });
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        batched.reserve({ tenantId: t, requestId: `r${i}`, amount: 300, expiresAt: now + 60_000 }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    // the first ten in arrival order hold, as one call each would
    expect(results.slice(0, 10).every((r) => r.status === 'fulfilled')).toBe(true);
    expect(await batched.account(t)).toMatchObject({ pending: 3000, available: 0 });
  });

  it('fails only the operation Redis refused, and the rest of its batch still runs', async () => {
    const t = uniqueSuffix();
    await batched.ensureAccount(t, { budget: 1000, mode: 'prepaid' });
    await batched.reserve({ tenantId: t, requestId: 'x', amount: 100, expiresAt: now + 60_000 });
    // the usage stream's key holds a string: the post's XADD fails with WRONGTYPE
    await redis.set(tenantKeys(t).usage, 'not a stream');
    const [first, post, last] = await Promise.allSettled([
      batched.reserve({ tenantId: t, requestId: 'y', amount: 100, expiresAt: now + 60_000 }),
      batched.post({ tenantId: t, requestId: 'x', actual: 50, record: sampleUsageRecord(t, 'x', 50) }),
      batched.reserve({ tenantId: t, requestId: 'z', amount: 100, expiresAt: now + 60_000 }),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(post.status === 'rejected' && String((post.reason as Error).message)).toMatch(/WRONGTYPE/);
    expect(last.status).toBe('fulfilled');
    expect((await batched.hold(t, 'z'))?.state).toBe('pending');
  });

  it('refuses a malformed batch before running any of it', async () => {
    const t = uniqueSuffix();
    await batched.ensureAccount(t, { budget: 1000, mode: 'prepaid' });
    const before = await redis.hgetall(tenantKeys(t).account);
    const reserve = ['R', 'ok', '10', String(now + 1000), '0', '', ''];
    const malformed = [
      [String(now), '2026-11', '2', ...reserve], // says two, carries one
      [String(now), '2026-11', '1', 'X', 'ok', '10'], // an unknown kind
      [String(now), '2026-11', '1', ...reserve, 'extra'], // trailing arguments
      [String(now), '2026-11', '0'],
    ];
    for (const args of malformed) {
      await expect(callLedger(redis, 'batch', scriptKeys(t), args)).rejects.toThrow(/malformed ledger batch/);
    }
    expect(await redis.hgetall(tenantKeys(t).account)).toEqual(before);
    expect(await batched.hold(t, 'ok')).toBeNull();
  });

  it('loads the library again on a Redis that lost it, and the call goes through', async () => {
    const t = uniqueSuffix();
    await batched.ensureAccount(t, { budget: 1000, mode: 'prepaid' });
    const masters = 'nodes' in redis ? redis.nodes('master') : [redis];
    await Promise.all(
      masters.map((m) => m.call('FUNCTION', 'DELETE', `federa_ledger_${LEDGER_LIBRARY_VERSION}`)),
    );
    expect(
      await batched.reserve({ tenantId: t, requestId: 'r', amount: 10, expiresAt: now + 1000 }),
    ).toMatchObject({ state: 'pending', replay: false });
    expect(await oneByOne.void({ tenantId: t, requestId: 'r' })).toMatchObject({ state: 'voided' });
  });
});
