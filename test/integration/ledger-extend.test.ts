/**
 * Extending a pending hold by the next slice of a request's output grant (extend.lua), on a single
 * Redis and on a Redis Cluster: the same checks as reserve (tenant and API key, money and token
 * rate), nothing changed on a refusal, idempotent per (request, seq), and a post afterwards settles
 * against the whole extended hold. A property under concurrency: extensions and posts never overspend.
 */
import fc from 'fast-check';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger, keyLedgerOpenFields, tenantKeys } from '@federa/ledger';
import { uniqueSuffix } from '../support/harness';
import { REDIS_BACKENDS } from '../support/redis-backends';
import { sampleUsageRecord } from '../support/usage-record';

describe.each(REDIS_BACKENDS)('hold extensions on %s', (_name, connect) => {
  let redis: Redis | Cluster;
  const now = Date.UTC(2026, 10, 15, 12);
  let ledger: Ledger;

  beforeAll(() => {
    redis = connect();
    ledger = new Ledger(redis, { clock: () => now, period: 'month' });
  });
  afterAll(() => redis.disconnect());

  const snapshot = async (t: string) => {
    const k = tenantKeys(t);
    return {
      account: await redis.hgetall(k.account),
      holds: await redis.hgetall(k.holds),
      keys: await redis.hgetall(k.keyLedger),
    };
  };

  async function reserve(t: string, id: string, amount: number, tokens: number, apiKeyId?: string) {
    return ledger.reserve({
      tenantId: t,
      requestId: id,
      amount,
      tokens,
      expiresAt: now + 600_000,
      ...(apiKeyId ? { apiKeyId } : {}),
    });
  }

  it('adds money and tokens to the hold once per seq; the post settles the whole hold', async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, { budget: 1_000, tokensPerMinute: 10_000 });
    await reserve(t, 'r1', 100, 50);
    const first = await ledger.extendHold({ tenantId: t, requestId: 'r1', seq: 1, amount: 80, tokens: 40 });
    expect(first).toMatchObject({ state: 'pending', amount: 180, tokens: 90, replay: false });
    expect(await ledger.account(t)).toMatchObject({ pending: 180, available: 820 });

    // a retried extension (same seq, or an older one) holds nothing more
    const before = await snapshot(t);
    const again = await ledger.extendHold({ tenantId: t, requestId: 'r1', seq: 1, amount: 80, tokens: 40 });
    expect(again).toMatchObject({ amount: 180, replay: true });
    expect(await snapshot(t)).toEqual(before);

    await ledger.extendHold({ tenantId: t, requestId: 'r1', seq: 2, amount: 80, tokens: 40 });
    expect(await ledger.account(t)).toMatchObject({ pending: 260 });
    // actual within the extended hold: no overage, the rest released
    const posted = await ledger.post({
      tenantId: t,
      requestId: 'r1',
      actual: 230,
      actualTokens: 100,
      record: sampleUsageRecord(t, 'r1', 230),
    });
    expect(posted).toMatchObject({ posted: 230, overage: 0, flags: [] });
    expect(await ledger.account(t)).toMatchObject({ posted: 230, pending: 0, overage: 0, available: 770 });
    await expect(
      ledger.extendHold({ tenantId: t, requestId: 'r1', seq: 3, amount: 10, tokens: 5 }),
    ).rejects.toMatchObject({ code: 'HOLD_ALREADY_RESOLVED' });
  });

  it("refuses an extension over the tenant's budget, changing nothing", async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, 300);
    await reserve(t, 'r1', 200, 10);
    const before = await snapshot(t);
    await expect(
      ledger.extendHold({ tenantId: t, requestId: 'r1', seq: 1, amount: 150, tokens: 10 }),
    ).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED', details: { needed: 150, available: 100 } });
    expect(await snapshot(t)).toEqual(before);
    // a refused seq may be asked again once there is room (it was never applied)
    await ledger.configureAccount(t, { budget: 400 });
    await expect(
      ledger.extendHold({ tenantId: t, requestId: 'r1', seq: 1, amount: 150, tokens: 10 }),
    ).resolves.toMatchObject({ amount: 350, replay: false });
  });

  it("refuses over the API key's budget or its tokens per minute, changing nothing", async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, 10_000);
    await redis.hset(
      tenantKeys(t).keyLedger,
      ...keyLedgerOpenFields('key_g', { budget: 500, tokensPerMinute: 1_000 }),
    );
    await reserve(t, 'r1', 400, 600, 'key_g');
    const before = await snapshot(t);
    await expect(
      ledger.extendHold({ tenantId: t, requestId: 'r1', seq: 1, amount: 200, tokens: 10 }),
    ).rejects.toMatchObject({ code: 'KEY_BUDGET_EXCEEDED', details: { available: 100 } });
    await expect(
      ledger.extendHold({ tenantId: t, requestId: 'r1', seq: 1, amount: 50, tokens: 500 }),
    ).rejects.toMatchObject({ code: 'KEY_RATE_LIMITED' });
    expect(await snapshot(t)).toEqual(before);
    await ledger.extendHold({ tenantId: t, requestId: 'r1', seq: 1, amount: 50, tokens: 300 });
    expect(await ledger.keyAccount(t, 'key_g')).toMatchObject({ pending: 450, available: 50 });
    await ledger.void({ tenantId: t, requestId: 'r1' });
    expect(await ledger.keyAccount(t, 'key_g')).toMatchObject({ pending: 0, available: 500 });
    expect(await ledger.account(t)).toMatchObject({ pending: 0, available: 10_000 });
  });

  it('refuses an unknown request and invalid arguments', async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, 100);
    await expect(
      ledger.extendHold({ tenantId: t, requestId: 'nope', seq: 1, amount: 1, tokens: 1 }),
    ).rejects.toMatchObject({ code: 'HOLD_NOT_FOUND' });
    await expect(
      ledger.extendHold({ tenantId: t, requestId: 'nope', seq: 0, amount: 1, tokens: 1 }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(
      ledger.extendHold({ tenantId: t, requestId: 'nope', seq: 1, amount: -1, tokens: 1 }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('never overspends under concurrent extensions, replays and posts; a replay changes nothing', async () => {
    type Op = { kind: 'extend'; amount: number } | { kind: 'post'; share: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant('extend' as const),
        amount: fc.integer({ min: 0, max: 300 }),
      }),
      fc.record({ kind: fc.constant('post' as const), share: fc.double({ min: 0, max: 1, noNaN: true }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          budget: fc.integer({ min: 0, max: 2_000 }),
          firsts: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 4 }),
          // each batch runs concurrently; each op picks one of the requests
          batches: fc.array(fc.array(fc.tuple(fc.nat(3), opArb), { minLength: 1, maxLength: 6 }), {
            minLength: 1,
            maxLength: 5,
          }),
        }),
        async ({ budget, firsts, batches }) => {
          const t = uniqueSuffix();
          await ledger.ensureAccount(t, { budget, mode: 'prepaid' });
          const open: { id: string; seq: number; held: number; posted: boolean }[] = [];
          for (const [i, amount] of firsts.entries()) {
            try {
              await reserve(t, `r${i}`, amount, 1);
              open.push({ id: `r${i}`, seq: 0, held: amount, posted: false });
            } catch (err) {
              expect((err as { code?: string }).code).toBe('BUDGET_EXCEEDED');
            }
          }
          for (const batch of batches) {
            await Promise.all(
              batch.map(async ([pick, op]) => {
                const r = open[pick % Math.max(open.length, 1)];
                if (!r || r.posted) return;
                if (op.kind === 'post') {
                  r.posted = true;
                  const actual = Math.floor(r.held * op.share);
                  const res = await ledger.post({
                    tenantId: t,
                    requestId: r.id,
                    actual,
                    record: sampleUsageRecord(t, r.id, actual),
                  });
                  expect(res.overage).toBe(0);
                  return;
                }
                const seq = ++r.seq;
                try {
                  const res = await ledger.extendHold({
                    tenantId: t,
                    requestId: r.id,
                    seq,
                    amount: op.amount,
                    tokens: 1,
                  });
                  r.held = res.amount;
                } catch (err) {
                  r.seq--; // never applied: the same seq may be asked again
                  expect((err as { code?: string }).code).toMatch(
                    /^(BUDGET_EXCEEDED|HOLD_ALREADY_RESOLVED)$/,
                  );
                }
              }),
            );
            const account = await ledger.account(t);
            expect(account.posted + account.pending + account.overage).toBeLessThanOrEqual(budget);
            expect(account.available).toBeGreaterThanOrEqual(0);
            // every extension applied so far, sent again (a retry), changes nothing
            for (const r of open.filter((o) => o.seq > 0 && !o.posted)) {
              const before = await snapshot(t);
              const res = await ledger.extendHold({
                tenantId: t,
                requestId: r.id,
                seq: r.seq,
                amount: 1,
                tokens: 1,
              });
              expect(res).toMatchObject({ replay: true, amount: r.held });
              expect(await snapshot(t)).toEqual(before);
            }
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
