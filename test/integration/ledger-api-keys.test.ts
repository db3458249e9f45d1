/**
 * An API key's budget and tokens-per-minute in the ledger's scripts, on a single Redis and on a
 * Redis Cluster: checked in the same reserve call as the tenant's (key ⊂ tenant), moved by post,
 * void and expiry, refused for revoked or expired keys, and — a property under concurrency — never
 * exceeded, neither the key's nor the tenant's.
 */
import fc from 'fast-check';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger, keyLedgerOpenFields, keyLedgerRevokeFields, tenantKeys } from '@federa/ledger';
import { uniqueSuffix } from '../support/harness';
import { REDIS_BACKENDS } from '../support/redis-backends';
import { sampleUsageRecord } from '../support/usage-record';

const record = (t: string, r: string, c: number) => sampleUsageRecord(t, r, c);

describe.each(REDIS_BACKENDS)('API keys in the ledger on %s', (_name, connect) => {
  let redis: Redis | Cluster;
  let now = Date.UTC(2026, 10, 15, 12);
  let ledger: Ledger;

  beforeAll(() => {
    redis = connect();
    ledger = new Ledger(redis, { clock: () => now, period: 'month' });
  });
  afterAll(() => redis.disconnect());

  async function openKey(
    tenantId: string,
    keyId: string,
    limits: { budget?: number; tokensPerMinute?: number; expiresAt?: number } = {},
  ) {
    await redis.hset(tenantKeys(tenantId).keyLedger, ...keyLedgerOpenFields(keyId, limits));
  }

  it("refuses a hold over the key's budget while the tenant still has room, changing nothing", async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, 10_000);
    await openKey(t, 'key_a', { budget: 500 });
    await ledger.reserve({
      tenantId: t,
      requestId: 'r1',
      amount: 300,
      expiresAt: now + 60_000,
      apiKeyId: 'key_a',
    });
    const before = await redis.hgetall(tenantKeys(t).keyLedger);
    await expect(
      ledger.reserve({
        tenantId: t,
        requestId: 'r2',
        amount: 300,
        expiresAt: now + 60_000,
        apiKeyId: 'key_a',
      }),
    ).rejects.toMatchObject({ code: 'KEY_BUDGET_EXCEEDED', details: { needed: 300, available: 200 } });
    expect(await redis.hgetall(tenantKeys(t).keyLedger)).toEqual(before);
    expect(await ledger.hold(t, 'r2')).toBeNull();
    expect(await ledger.account(t)).toMatchObject({ pending: 300, available: 9_700 });
    // the same request without the key (a tenant session) fits the tenant's budget
    await expect(
      ledger.reserve({ tenantId: t, requestId: 'r2', amount: 300, expiresAt: now + 60_000 }),
    ).resolves.toMatchObject({ state: 'pending', apiKeyId: null });
    // the tenant's own budget still binds a key with room
    await openKey(t, 'key_big', { budget: 1_000_000 });
    await expect(
      ledger.reserve({
        tenantId: t,
        requestId: 'r3',
        amount: 9_500,
        expiresAt: now + 60_000,
        apiKeyId: 'key_big',
      }),
    ).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(await ledger.keyAccount(t, 'key_big')).toMatchObject({ pending: 0, posted: 0 });
  });

  it("moves the key's figures on post (overage included), void and expiry", async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, 10_000);
    await openKey(t, 'key_b', { budget: 1_000 });
    const hold = (id: string, amount: number, ttl = 60_000) =>
      ledger.reserve({ tenantId: t, requestId: id, amount, expiresAt: now + ttl, apiKeyId: 'key_b' });
    expect(await hold('p', 200)).toMatchObject({ apiKeyId: 'key_b', state: 'pending' });
    await hold('v', 100);
    await hold('o', 100);
    await hold('e', 50, 10);
    expect(await ledger.keyAccount(t, 'key_b')).toMatchObject({ pending: 450, available: 550 });

    await ledger.post({ tenantId: t, requestId: 'p', actual: 120, record: record(t, 'p', 120) });
    await ledger.void({ tenantId: t, requestId: 'v' });
    const over = await ledger.post({ tenantId: t, requestId: 'o', actual: 130, record: record(t, 'o', 130) });
    expect(over.flags).toContain('OVERAGE');
    // a repeat changes nothing
    await ledger.post({ tenantId: t, requestId: 'p', actual: 120, record: record(t, 'p', 120) });
    await ledger.void({ tenantId: t, requestId: 'v' });
    now += 20;
    await ledger.sweep(t);
    expect(await ledger.keyAccount(t, 'key_b')).toMatchObject({
      posted: 220,
      pending: 0,
      overage: 30,
      available: 750,
    });
    expect(await ledger.account(t)).toMatchObject({ posted: 220, pending: 0, overage: 30 });
    // each record names the key, as its hold did
    const records = await ledger.listUsage(t, { limit: 10 });
    expect(records.map((r) => r.apiKeyId)).toEqual(['key_b', 'key_b']);
  });

  it("enforces the key's tokens per minute while the tenant's bucket has room, and refunds unused tokens", async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, { budget: 1_000_000, tokensPerMinute: 100_000 });
    await openKey(t, 'key_r', { tokensPerMinute: 1_000 });
    const reserve = (id: string, tokens: number) =>
      ledger.reserve({
        tenantId: t,
        requestId: id,
        amount: 1,
        tokens,
        expiresAt: now + 60_000,
        apiKeyId: 'key_r',
      });
    await reserve('a', 800);
    const tenantBucket = await redis.hmget(tenantKeys(t).account, 'tpm_avail');
    await expect(reserve('b', 300)).rejects.toMatchObject({ code: 'KEY_RATE_LIMITED' });
    // the refusal drew on neither bucket
    expect(await redis.hmget(tenantKeys(t).account, 'tpm_avail')).toEqual(tenantBucket);
    await expect(reserve('huge', 1_001)).rejects.toMatchObject({
      code: 'KEY_RATE_LIMITED',
      details: { retryAfterMs: null },
    });
    // the post gives back what the request did not use, to the key as to the tenant
    await ledger.post({
      tenantId: t,
      requestId: 'a',
      actual: 1,
      actualTokens: 100,
      record: record(t, 'a', 1),
    });
    await expect(reserve('b', 300)).resolves.toMatchObject({ state: 'pending' });
  });

  it('holds nothing for a revoked, expired or unknown key (UNAUTHENTICATED), but resolves its holds', async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, 10_000);
    await openKey(t, 'key_x', { budget: 1_000 });
    await openKey(t, 'key_old', { expiresAt: now + 1_000 });
    await ledger.reserve({
      tenantId: t,
      requestId: 'before',
      amount: 100,
      expiresAt: now + 60_000,
      apiKeyId: 'key_x',
    });
    await redis.hset(tenantKeys(t).keyLedger, ...keyLedgerRevokeFields('key_x'));
    const refused = (id: string, key: string) =>
      expect(
        ledger.reserve({ tenantId: t, requestId: id, amount: 1, expiresAt: now + 60_000, apiKeyId: key }),
      ).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'invalid API key' });
    await refused('after', 'key_x');
    await refused('nobody', 'key_nobody');
    now += 1_000;
    await refused('late', 'key_old');
    await expect(
      ledger.reserve({ tenantId: t, requestId: 'x', amount: 1, expiresAt: now + 1, apiKeyId: 'bad|id' }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    for (const id of ['after', 'nobody', 'late', 'x']) expect(await ledger.hold(t, id)).toBeNull();
    // the hold made before the revocation still posts, against the key's figures
    await ledger.post({ tenantId: t, requestId: 'before', actual: 40, record: record(t, 'before', 40) });
    expect(await ledger.keyAccount(t, 'key_x')).toMatchObject({ posted: 40, pending: 0, active: false });
  });

  it("restarts a key's budget with the billing period", async () => {
    const t = uniqueSuffix();
    let clock = Date.UTC(2026, 10, 30, 23, 59);
    const monthly = new Ledger(redis, { clock: () => clock, period: 'month' });
    await monthly.ensureAccount(t, { budget: 10_000, mode: 'period' });
    await openKey(t, 'key_m', { budget: 100 });
    await monthly.reserve({
      tenantId: t,
      requestId: 'n1',
      amount: 100,
      expiresAt: clock + 600_000,
      apiKeyId: 'key_m',
    });
    await monthly.post({ tenantId: t, requestId: 'n1', actual: 100, record: record(t, 'n1', 100) });
    await expect(
      monthly.reserve({
        tenantId: t,
        requestId: 'n2',
        amount: 1,
        expiresAt: clock + 600_000,
        apiKeyId: 'key_m',
      }),
    ).rejects.toMatchObject({ code: 'KEY_BUDGET_EXCEEDED' });
    clock = Date.UTC(2026, 11, 1, 0, 1);
    expect(await monthly.keyAccount(t, 'key_m')).toMatchObject({
      posted: 0,
      available: 100,
      period: '2026-12',
    });
    await expect(
      monthly.reserve({
        tenantId: t,
        requestId: 'n2',
        amount: 60,
        expiresAt: clock + 600_000,
        apiKeyId: 'key_m',
      }),
    ).resolves.toMatchObject({ state: 'pending' });
  });

  it("never lets concurrent reserves and posts exceed the key's or the tenant's budget", async () => {
    type Op =
      { kind: 'reserve'; key: number; amount: number } | { kind: 'resolve'; post: boolean; share: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant('reserve' as const),
        key: fc.integer({ min: 0, max: 2 }), // 2 = no key (a tenant session)
        amount: fc.integer({ min: 1, max: 400 }),
      }),
      fc.record({
        kind: fc.constant('resolve' as const),
        post: fc.boolean(),
        share: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          tenantBudget: fc.integer({ min: 0, max: 2_000 }),
          keyBudgets: fc.tuple(fc.integer({ min: 0, max: 1_000 }), fc.integer({ min: 0, max: 1_000 })),
          // each batch runs concurrently: its reserves race for the same budgets
          batches: fc.array(fc.array(opArb, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 }),
        }),
        async ({ tenantBudget, keyBudgets, batches }) => {
          const t = uniqueSuffix();
          const keys = ['key_p0', 'key_p1'];
          await ledger.ensureAccount(t, { budget: tenantBudget, mode: 'prepaid' });
          await openKey(t, keys[0]!, { budget: keyBudgets[0] });
          await openKey(t, keys[1]!, { budget: keyBudgets[1] });
          const pending: { id: string; amount: number }[] = [];
          let seq = 0;
          for (const batch of batches) {
            await Promise.all(
              batch.map(async (op) => {
                if (op.kind === 'reserve') {
                  const id = `r${seq++}`;
                  const apiKeyId = keys[op.key];
                  try {
                    await ledger.reserve({
                      tenantId: t,
                      requestId: id,
                      amount: op.amount,
                      expiresAt: now + 3_600_000,
                      ...(apiKeyId ? { apiKeyId } : {}),
                    });
                    pending.push({ id, amount: op.amount });
                  } catch (err) {
                    expect((err as { code?: string }).code).toMatch(/^(KEY_)?BUDGET_EXCEEDED$/);
                  }
                  return;
                }
                const hold = pending.shift();
                if (!hold) return;
                if (!op.post) return void (await ledger.void({ tenantId: t, requestId: hold.id }));
                // actual ≤ hold: what a site served within max_tokens
                const actual = Math.floor(hold.amount * op.share);
                await ledger.post({
                  tenantId: t,
                  requestId: hold.id,
                  actual,
                  record: record(t, hold.id, actual),
                });
              }),
            );
            const account = await ledger.account(t);
            expect(account.posted + account.pending + account.overage).toBeLessThanOrEqual(tenantBudget);
            let keyPending = 0;
            for (const [i, key] of keys.entries()) {
              const k = (await ledger.keyAccount(t, key))!;
              expect(k.posted + k.pending + k.overage).toBeLessThanOrEqual(keyBudgets[i]!);
              keyPending += k.pending;
            }
            // the keys' holds are part of the tenant's, never more
            expect(keyPending).toBeLessThanOrEqual(account.pending);
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
