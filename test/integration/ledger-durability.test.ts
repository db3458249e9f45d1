/**
 * What LEDGER_NOT_REPLICATED leaves behind, on the shared single Redis (it has no replica, so a
 * ledger asking for one is never confirmed): the write was applied, a retry is a replay (never a
 * second hold, charge or record), and a hold whose reserve was refused this way is released by the
 * sweep at its expiry like any other. The failover itself is test/integration/ledger-failover.test.ts.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ERROR_CODES, FederaError } from '@federa/domain';
import { Ledger } from '@federa/ledger';
import { connectRedis, replicaShortfall, type RedisClient } from '@federa/redis';
import { uniqueSuffix } from '../support/harness';
import { sampleUsageRecord } from '../support/usage-record';

async function refusal(call: Promise<unknown>): Promise<FederaError> {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof FederaError)) throw new Error(`expected a FederaError, got ${String(err)}`);
  return err;
}

describe('a ledger write that is not confirmed on enough replicas', () => {
  let redis: RedisClient;
  let now = Date.UTC(2026, 10, 15);
  const clock = () => now;
  let durable: Ledger;
  let plain: Ledger;

  beforeAll(() => {
    redis = connectRedis(inject('redisUrl'));
    durable = new Ledger(redis, { clock, durability: { replicas: 1, timeoutMs: 20 } });
    plain = new Ledger(redis, { clock });
  });
  afterAll(() => redis.disconnect());

  it('is refused with LEDGER_NOT_REPLICATED (retryable) and a retry is a replay', async () => {
    const t = uniqueSuffix();
    await plain.ensureAccount(t, 1000);
    const reserve = { tenantId: t, requestId: 'r1', amount: 100, expiresAt: now + 60_000, attempt: 'a' };
    const err = await refusal(durable.reserve(reserve));
    expect(err.code).toBe('LEDGER_NOT_REPLICATED');
    expect(ERROR_CODES[err.code].retryable).toBe(true);
    expect(err.details).toEqual({ acknowledgedBy: 0, required: 1 });
    expect(err.message).not.toMatch(/WAIT|redis/i);
    // applied on the master: the same call again is a replay, refused the same way until confirmed
    expect((await refusal(durable.reserve(reserve))).code).toBe('LEDGER_NOT_REPLICATED');
    expect(await plain.reserve(reserve)).toMatchObject({ replay: true, state: 'pending', amount: 100 });
    expect(await plain.account(t)).toMatchObject({ pending: 100, posted: 0 });

    const post = { tenantId: t, requestId: 'r1', actual: 60, record: sampleUsageRecord(t, 'r1', 60) };
    expect((await refusal(durable.post(post))).code).toBe('LEDGER_NOT_REPLICATED');
    expect((await refusal(durable.post(post))).code).toBe('LEDGER_NOT_REPLICATED');
    expect(await plain.post(post)).toMatchObject({ replay: true, state: 'posted', posted: 60 });
    expect(await plain.account(t)).toMatchObject({ pending: 0, posted: 60 });
    expect(await plain.usageCount(t)).toBe(1);
  });

  it('leaves a refused reserve as a pending hold the sweep releases at its expiry', async () => {
    const t = uniqueSuffix();
    await plain.ensureAccount(t, 1000);
    const reserve = { tenantId: t, requestId: 'r2', amount: 400, expiresAt: now + 30_000 };
    expect((await refusal(durable.reserve(reserve))).code).toBe('LEDGER_NOT_REPLICATED');
    expect(await plain.account(t)).toMatchObject({ pending: 400, available: 600 });
    now += 30_001;
    await plain.sweep(t);
    expect(await plain.hold(t, 'r2')).toMatchObject({ state: 'expired' });
    expect(await plain.account(t)).toMatchObject({ pending: 0, available: 1000 });
  });

  it('refuses nothing when no replica is asked for, and refusals on budget stay refusals', async () => {
    const t = uniqueSuffix();
    await plain.ensureAccount(t, 50);
    const none = new Ledger(redis, { clock, durability: { replicas: 0, timeoutMs: 20 } });
    expect(
      await none.reserve({ tenantId: t, requestId: 'r3', amount: 50, expiresAt: now + 1000 }),
    ).toMatchObject({
      replay: false,
    });
    const over = await refusal(
      durable.reserve({ tenantId: t, requestId: 'r4', amount: 1, expiresAt: now + 1000 }),
    );
    expect(over.code).toBe('BUDGET_EXCEEDED');
  });

  it('is foreseen at start-up: the apps are told the Redis has fewer replicas than they wait for', async () => {
    expect(await replicaShortfall(redis, 0)).toBeNull();
    expect(await replicaShortfall(redis, 1)).toMatch(
      /has 0: they will be refused with LEDGER_NOT_REPLICATED/,
    );
  });
});
