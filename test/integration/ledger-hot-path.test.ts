/**
 * Reserve and post take a short path for the common request (no API key, no token limit, no period
 * to roll, no hold due to expire: core.lua only) and build helpers.lua otherwise. This drives both
 * paths at once: concurrent batches of reserves, posts, voids and their retries, with the clock
 * crossing a month boundary (a period roll inside a batch) and holds expiring between batches, on
 * accounts of every kind. After every batch the account must agree with the holds and the usage
 * stream: nothing held beyond the budget, every posted hold recorded exactly once, a retry changes
 * nothing.
 */
import fc from 'fast-check';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger, tenantKeys, type AccountSettings } from '@federa/ledger';
import { uniqueSuffix } from '../support/harness';
import { REDIS_BACKENDS } from '../support/redis-backends';
import { sampleUsageRecord } from '../support/usage-record';

type Op =
  | { kind: 'reserve'; id: number; amount: number; ttl: number }
  | { kind: 'post'; id: number; actual: number }
  | { kind: 'void'; id: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('reserve' as const),
    id: fc.nat({ max: 5 }),
    amount: fc.integer({ min: 0, max: 300 }),
    ttl: fc.integer({ min: 1, max: 90_000 }),
  }),
  fc.record({
    kind: fc.constant('post' as const),
    id: fc.nat({ max: 5 }),
    actual: fc.integer({ min: 0, max: 400 }),
  }),
  fc.record({ kind: fc.constant('void' as const), id: fc.nat({ max: 5 }) }),
);

/** the kinds of account: the short path (prepaid, no limit) and each reason to leave it */
const ACCOUNTS: Record<string, AccountSettings> = {
  prepaid: { budget: 1_000, mode: 'prepaid' },
  period: { budget: 1_000, mode: 'period' },
  tokenLimited: { budget: 1_000, mode: 'prepaid', tokensPerMinute: 1_000_000 },
};

const expected = (code: string) => (err: { code?: string }) => {
  if (err.code !== code) throw err;
};

describe.each(REDIS_BACKENDS)('ledger hot path on %s', (_name, connect) => {
  let redis: Redis | Cluster;
  let now = 0;
  let ledger: Ledger;

  beforeAll(() => {
    redis = connect();
    ledger = new Ledger(redis, { clock: () => now, period: 'month' });
  });
  afterAll(() => redis.disconnect());

  /** the account against its holds and usage stream (all figures of the current period) */
  async function consistent(t: string, budget: number, periodStartRecords: number) {
    const account = await ledger.account(t);
    const holds = await redis.hgetall(tenantKeys(t).holds);
    let pending = 0;
    let postedHolds = 0;
    for (const [field, raw] of Object.entries(holds)) {
      if (field.includes('|')) continue;
      const [state, amount] = raw.split('|');
      if (state === 'pending') pending += Number(amount);
      if (state === 'posted') postedHolds++;
    }
    const records = await redis.xrange(tenantKeys(t).usage, '-', '+');
    // exactly one record per posted hold (a late post marks its expired hold posted too)
    const recordedIds = new Set(records.map(([, f]) => f[f.indexOf('req') + 1]));
    expect(recordedIds.size).toBe(records.length);
    expect(records.length).toBe(postedHolds);
    expect(account.pending).toBe(pending);
    // holds never take more than the budget leaves (only a post's overage goes beyond it)
    expect(account.posted + account.pending).toBeLessThanOrEqual(budget);
    const current = records.slice(periodStartRecords);
    const sum = (field: string) => current.reduce((s, [, f]) => s + Number(f[f.indexOf(field) + 1]), 0);
    expect(account.posted).toBe(sum('posted'));
    expect(account.overage).toBe(sum('overage'));
    return records.length;
  }

  it.each(Object.keys(ACCOUNTS))(
    'keeps a %s account consistent under concurrent reserves, posts, voids and retries',
    async (kind) => {
      const settings = ACCOUNTS[kind]!;
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({
              ops: fc.array(fc.tuple(opArb, fc.boolean()), { minLength: 1, maxLength: 12 }),
              advanceMs: fc.integer({ min: 0, max: 90_000 }),
            }),
            {
              minLength: 1,
              maxLength: 6,
            },
          ),
          async (batches) => {
            const t = uniqueSuffix();
            // four batches from the end of November: the third runs in December (a period roll)
            now = Date.UTC(2026, 10, 30, 23, 58);
            await ledger.ensureAccount(t, settings);
            let periodStart = 0;
            let seen = 0;
            for (const [b, { ops, advanceMs }] of batches.entries()) {
              if (b === 2) {
                now = Date.UTC(2026, 11, 1, 0, 0, 30);
                if (settings.mode === 'period') periodStart = seen;
              }
              const calls = ops.flatMap(([op, retried]) => {
                const requestId = `r${op.id}`;
                const run = (): Promise<unknown> => {
                  switch (op.kind) {
                    case 'reserve':
                      return ledger
                        .reserve({
                          tenantId: t,
                          requestId,
                          amount: op.amount,
                          expiresAt: now + op.ttl,
                          tokens: 10,
                          attempt: `run-${b}`,
                        })
                        .catch(expected('BUDGET_EXCEEDED'));
                    case 'post':
                      return ledger
                        .post({
                          tenantId: t,
                          requestId,
                          actual: op.actual,
                          actualTokens: 5,
                          record: sampleUsageRecord(t, requestId, op.actual),
                        })
                        .catch((err: { code?: string }) => {
                          if (err.code !== 'HOLD_NOT_FOUND' && err.code !== 'HOLD_ALREADY_RESOLVED')
                            throw err;
                        });
                    case 'void':
                      return ledger.void({ tenantId: t, requestId }).catch((err: { code?: string }) => {
                        if (err.code !== 'HOLD_NOT_FOUND' && err.code !== 'HOLD_ALREADY_RESOLVED') throw err;
                      });
                  }
                };
                // a retry races its original (an activity re-run, a command re-sent after a reconnect)
                return retried ? [run(), run()] : [run()];
              });
              await Promise.all(calls);
              seen = await consistent(t, settings.budget, periodStart);
              // holds expire between batches (lazily, on the next call, through helpers.lua)
              now += advanceMs;
            }
          },
        ),
        { numRuns: 25 },
      );
    },
  );

  it('answers a retried post with the first result and records it once', async () => {
    const t = uniqueSuffix();
    now = Date.UTC(2026, 10, 15);
    await ledger.ensureAccount(t, { budget: 1_000, mode: 'prepaid' });
    await ledger.reserve({ tenantId: t, requestId: 'a', amount: 100, expiresAt: now + 60_000 });
    const post = () =>
      ledger.post({ tenantId: t, requestId: 'a', actual: 150, record: sampleUsageRecord(t, 'a', 150) });
    const [first, second] = await Promise.all([post(), post()]);
    const [original, retry] = first.replay ? [second, first] : [first, second];
    expect(original).toMatchObject({ replay: false, posted: 100, overage: 50, flags: ['OVERAGE'] });
    expect(retry).toMatchObject({ replay: true, posted: 100, overage: 50, recordId: original.recordId });
    expect(await ledger.usageCount(t)).toBe(1);
    expect(await ledger.account(t)).toMatchObject({ posted: 100, overage: 50, pending: 0, available: 850 });
  });
});
