/**
 * `reserve` with an attempt (the workflow run id), against real Redis and Redis Cluster: a hold
 * voided or expired under another attempt is re-opened, through the budget check; the same attempt
 * replays; a posted hold stays posted.
 */
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '@federa/ledger';
import { uniqueSuffix } from '../support/harness';
import { REDIS_BACKENDS } from '../support/redis-backends';
import { sampleUsageRecord } from '../support/usage-record';

const record = (t: string, r: string, c: number) => sampleUsageRecord(t, r, c);

describe.each(REDIS_BACKENDS)('re-opening a hold on %s', (_name, connect) => {
  let redis: Redis | Cluster;
  let now = Date.UTC(2026, 10, 15, 12);
  let ledger: Ledger;

  beforeAll(() => {
    redis = connect();
    ledger = new Ledger(redis, { clock: () => now, period: 'month' });
  });
  afterAll(() => redis.disconnect());

  const reserve = (t: string, attempt: string, amount = 300) =>
    ledger.reserve({ tenantId: t, requestId: 'r1', amount, expiresAt: now + 1000, attempt });

  it('re-opens a voided hold for another attempt only, and checks the budget again', async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, 1000);
    expect(await reserve(t, 'run-a')).toMatchObject({ state: 'pending', replay: false });
    await ledger.void({ tenantId: t, requestId: 'r1' });
    // the same run asking again is a replay: the hold stays voided
    expect(await reserve(t, 'run-a')).toMatchObject({ state: 'voided', replay: true });
    expect((await ledger.account(t)).pending).toBe(0);

    expect(await reserve(t, 'run-b', 400)).toMatchObject({ state: 'pending', amount: 400, replay: false });
    expect(await ledger.account(t)).toMatchObject({ pending: 400, available: 600 });
    expect(await reserve(t, 'run-b', 400)).toMatchObject({ state: 'pending', replay: true });
    expect((await ledger.account(t)).pending).toBe(400);

    await ledger.void({ tenantId: t, requestId: 'r1' });
    await expect(reserve(t, 'run-c', 5000)).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(await ledger.hold(t, 'r1')).toMatchObject({ state: 'voided' });
  });

  it('re-opens an expired hold, and never a posted one', async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, 1000);
    await reserve(t, 'run-a');
    now += 2000; // past its expiry
    expect(await reserve(t, 'run-b')).toMatchObject({ state: 'pending', replay: false });
    await ledger.post({ tenantId: t, requestId: 'r1', actual: 100, record: record(t, 'r1', 100) });
    expect(await reserve(t, 'run-c')).toMatchObject({ state: 'posted', replay: true });
    expect(await ledger.account(t)).toMatchObject({ posted: 100, pending: 0 });
    expect(await ledger.usageCount(t)).toBe(1);
  });
});
