/**
 * The ledger's Lua scripts against real Redis: two-phase holds, idempotency by request id, expiry,
 * and a model-based property test that replays random operation sequences (with duplicated retries)
 * against a plain in-memory reference and checks the invariants after every step.
 */
import fc from 'fast-check';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger, callLedger, scriptKeys, tenantKeys, type LedgerFunctionName } from '@federa/ledger';
import { uniqueSuffix } from '../support/harness';
import { REDIS_BACKENDS } from '../support/redis-backends';
import { sampleUsageRecord } from '../support/usage-record';

const record = (t: string, r: string, c: number) => sampleUsageRecord(t, r, c);

describe.each(REDIS_BACKENDS)('ledger on %s', (_name, connect) => {
  let redis: Redis | Cluster;
  // 2026-11-30T23:59:00Z: close to a month boundary, so period tests can cross it
  let now = Date.UTC(2026, 10, 30, 23, 59);
  let ledger: Ledger;

  beforeAll(() => {
    redis = connect();
    ledger = new Ledger(redis, { clock: () => now, period: 'month' });
  });
  afterAll(() => redis.disconnect());

  it('holds, posts the actual charge and releases the rest, once', async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, 1000);
    const hold = await ledger.reserve({ tenantId: t, requestId: 'r1', amount: 300, expiresAt: now + 1000 });
    expect(hold).toMatchObject({ state: 'pending', amount: 300, replay: false });
    expect(await ledger.account(t)).toMatchObject({ posted: 0, pending: 300, available: 700 });

    const again = await ledger.reserve({ tenantId: t, requestId: 'r1', amount: 300, expiresAt: now + 1000 });
    expect(again.replay).toBe(true);
    expect((await ledger.account(t)).pending).toBe(300);

    const posted = await ledger.post({
      tenantId: t,
      requestId: 'r1',
      actual: 120,
      record: record(t, 'r1', 120),
    });
    expect(posted).toMatchObject({ state: 'posted', posted: 120, overage: 0, replay: false });
    const repeat = await ledger.post({
      tenantId: t,
      requestId: 'r1',
      actual: 120,
      record: record(t, 'r1', 120),
    });
    expect(repeat).toMatchObject({ replay: true, recordId: posted.recordId });
    expect(await ledger.account(t)).toMatchObject({ posted: 120, pending: 0, available: 880 });
    expect(await ledger.usageCount(t)).toBe(1);
  });

  it('refuses a hold the budget cannot cover and changes nothing', async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, 100);
    await expect(
      ledger.reserve({ tenantId: t, requestId: 'big', amount: 101, expiresAt: now + 1000 }),
    ).rejects.toMatchObject({
      code: 'BUDGET_EXCEEDED',
      details: { needed: 101, available: 100 },
    });
    expect(await ledger.account(t)).toMatchObject({ posted: 0, pending: 0 });
    expect(await ledger.hold(t, 'big')).toBeNull();
  });

  it('voids a hold once and refuses to post or void in the wrong state', async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, 100);
    await ledger.reserve({ tenantId: t, requestId: 'v', amount: 50, expiresAt: now + 1000 });
    expect((await ledger.void({ tenantId: t, requestId: 'v' })).replay).toBe(false);
    expect((await ledger.void({ tenantId: t, requestId: 'v' })).replay).toBe(true);
    await expect(
      ledger.post({ tenantId: t, requestId: 'v', actual: 10, record: record(t, 'v', 10) }),
    ).rejects.toMatchObject({ code: 'HOLD_ALREADY_RESOLVED' });
    await expect(ledger.void({ tenantId: t, requestId: 'never' })).rejects.toMatchObject({
      code: 'HOLD_NOT_FOUND',
    });
    await ledger.reserve({ tenantId: t, requestId: 'p', amount: 50, expiresAt: now + 1000 });
    await ledger.post({ tenantId: t, requestId: 'p', actual: 10, record: record(t, 'p', 10) });
    await expect(ledger.void({ tenantId: t, requestId: 'p' })).rejects.toMatchObject({
      code: 'HOLD_ALREADY_RESOLVED',
    });
    expect(await ledger.account(t)).toMatchObject({ posted: 10, pending: 0 });
  });

  it('expires holds lazily, returning them to the budget; a late post is recorded and flagged', async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, 100);
    await ledger.reserve({ tenantId: t, requestId: 'e', amount: 80, expiresAt: now + 10 });
    now += 11;
    // the next operation on the tenant expires the hold first, so this one fits
    await ledger.reserve({ tenantId: t, requestId: 'f', amount: 90, expiresAt: now + 1000 });
    expect((await ledger.hold(t, 'e'))?.state).toBe('expired');
    const late = await ledger.post({ tenantId: t, requestId: 'e', actual: 30, record: record(t, 'e', 30) });
    expect(late.flags).toContain('LATE_POST');
    expect(await ledger.account(t)).toMatchObject({ posted: 0, pending: 90, overage: 30 });
    const [stored] = await ledger.listUsage(t, { limit: 1 });
    expect(stored?.flags).toContain('LATE_POST');
  });

  it('handles zero-amount holds (found by the property test: HINCRBY refuses "-0")', async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, 0);
    await ledger.reserve({ tenantId: t, requestId: 'z1', amount: 0, expiresAt: now + 1000 });
    expect((await ledger.void({ tenantId: t, requestId: 'z1' })).state).toBe('voided');
    await ledger.reserve({ tenantId: t, requestId: 'z2', amount: 0, expiresAt: now + 1000 });
    expect(
      (await ledger.post({ tenantId: t, requestId: 'z2', actual: 0, record: record(t, 'z2', 0) })).state,
    ).toBe('posted');
    await ledger.reserve({ tenantId: t, requestId: 'z3', amount: 0, expiresAt: now + 1 });
    now += 2;
    expect(await ledger.sweep(t)).toBe(1);
    expect(await ledger.account(t)).toMatchObject({ budget: 0, posted: 0, pending: 0 });
  });

  it('posts at most the hold and books a larger actual charge as flagged overage', async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, 100);
    await ledger.reserve({ tenantId: t, requestId: 'o', amount: 40, expiresAt: now + 1000 });
    const r = await ledger.post({ tenantId: t, requestId: 'o', actual: 55, record: record(t, 'o', 55) });
    expect(r).toMatchObject({ posted: 40, overage: 15, flags: ['OVERAGE'] });
    expect(await ledger.account(t)).toMatchObject({ posted: 40, pending: 0, overage: 15 });
  });

  it('keeps amounts exact beyond 2^53-safe doubles printed by Lua (no %.14g rounding)', async () => {
    const t = uniqueSuffix();
    const budget = 9_007_199_254_740_000; // close to Number.MAX_SAFE_INTEGER
    await ledger.ensureAccount(t, budget);
    await ledger.reserve({ tenantId: t, requestId: 'x', amount: 123_456_789_012_345, expiresAt: now + 1000 });
    await ledger.post({
      tenantId: t,
      requestId: 'x',
      actual: 123_456_789_012_343,
      record: record(t, 'x', 1),
    });
    expect(await ledger.account(t)).toMatchObject({ posted: 123_456_789_012_343, pending: 0 });
  });

  it('restarts a period budget at the period boundary and keeps the closed period', async () => {
    const t = uniqueSuffix();
    now = Date.UTC(2026, 10, 30, 23, 59);
    await ledger.ensureAccount(t, { budget: 100, mode: 'period' });
    await ledger.reserve({ tenantId: t, requestId: 'a', amount: 90, expiresAt: now + 600_000 });
    await ledger.post({ tenantId: t, requestId: 'a', actual: 70, record: record(t, 'a', 70) });
    await expect(
      ledger.reserve({ tenantId: t, requestId: 'b', amount: 40, expiresAt: now + 600_000 }),
    ).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    now = Date.UTC(2026, 11, 1, 0, 1); // December
    expect(await ledger.account(t)).toMatchObject({ period: '2026-12', posted: 0, available: 100 });
    await ledger.reserve({ tenantId: t, requestId: 'b', amount: 40, expiresAt: now + 600_000 });
    expect(await ledger.closedPeriods(t)).toEqual({ '2026-11': { posted: 70, overage: 0 } });
    expect(await ledger.account(t)).toMatchObject({
      period: '2026-12',
      posted: 0,
      pending: 40,
      available: 60,
    });
  });

  it('adds prepaid credit once per top-up id and never resets it', async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, { budget: 0, mode: 'prepaid' });
    await expect(
      ledger.reserve({ tenantId: t, requestId: 'r', amount: 10, expiresAt: now + 1000 }),
    ).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(await ledger.topUp({ tenantId: t, topUpId: 'tx-1', amount: 50 })).toEqual({
      budget: 50,
      replay: false,
    });
    expect(await ledger.topUp({ tenantId: t, topUpId: 'tx-1', amount: 50 })).toEqual({
      budget: 50,
      replay: true,
    });
    await ledger.reserve({ tenantId: t, requestId: 'r', amount: 10, expiresAt: now + 1000 });
    now += 40 * 24 * 3600 * 1000; // well into another month
    expect(await ledger.account(t)).toMatchObject({ mode: 'prepaid', period: null, budget: 50, pending: 10 });
    await expect(ledger.topUp({ tenantId: `${t}-nobody`, topUpId: 'x', amount: 1 })).rejects.toMatchObject({
      code: 'UNKNOWN_TENANT',
    });
  });

  it('limits tokens per minute in the same atomic step, with a retry hint, and refunds unused tokens', async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, { budget: 1_000_000, tokensPerMinute: 600 });
    await ledger.reserve({ tenantId: t, requestId: 'a', amount: 1, expiresAt: now + 60_000, tokens: 500 });
    const before = await ledger.account(t);
    const refused = await ledger
      .reserve({ tenantId: t, requestId: 'b', amount: 1, expiresAt: now + 60_000, tokens: 200 })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterMs: 10_000 } });
    // refused means nothing changed: no hold, no money, no tokens taken
    expect(await ledger.hold(t, 'b')).toBeNull();
    expect(await ledger.account(t)).toEqual(before);
    // the site used only 100 of the 500 tokens: 400 come back
    await ledger.post({
      tenantId: t,
      requestId: 'a',
      actual: 1,
      actualTokens: 100,
      record: record(t, 'a', 1),
    });
    await ledger.reserve({ tenantId: t, requestId: 'b', amount: 1, expiresAt: now + 60_000, tokens: 200 });
    // the bucket refills over the minute
    await expect(
      ledger.reserve({ tenantId: t, requestId: 'c', amount: 1, expiresAt: now + 60_000, tokens: 400 }),
    ).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    now += 10_000; // +100 tokens
    await ledger.reserve({ tenantId: t, requestId: 'c', amount: 1, expiresAt: now + 60_000, tokens: 400 });
    // a request larger than the whole minute's allowance can never pass: no retry hint
    await expect(
      ledger.reserve({ tenantId: t, requestId: 'd', amount: 1, expiresAt: now + 60_000, tokens: 601 }),
    ).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      details: { retryAfterMs: null },
    });
    // voiding returns all of a hold's tokens
    await ledger.void({ tenantId: t, requestId: 'c' });
    await ledger.reserve({ tenantId: t, requestId: 'e', amount: 1, expiresAt: now + 60_000, tokens: 400 });
  });

  it('lists pending holds and reads usage by time range', async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, 1000);
    await ledger.reserve({ tenantId: t, requestId: 'p1', amount: 5, expiresAt: now + 1000 });
    await ledger.reserve({ tenantId: t, requestId: 'p2', amount: 5, expiresAt: now + 2000 });
    await ledger.post({ tenantId: t, requestId: 'p2', actual: 3, record: record(t, 'p2', 3) });
    expect((await ledger.pendingHolds(t)).map((h) => h.requestId)).toEqual(['p1']);
    const all: string[] = [];
    for await (const r of ledger.usageBetween(t, 0, Date.now() + 60_000, 1)) all.push(r.requestId);
    expect(all).toEqual(['p2']);
    const none: string[] = [];
    for await (const r of ledger.usageBetween(t, Date.now() + 60_000, Date.now() + 120_000))
      none.push(r.requestId);
    expect(none).toEqual([]);
  });

  it('counts overage against what is available: a budget is a hard cap for new holds', async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, 1000);
    await ledger.reserve({ tenantId: t, requestId: 'h', amount: 100, expiresAt: now + 1000 });
    const inflated = await ledger.post({
      tenantId: t,
      requestId: 'h',
      actual: 10_000_000,
      record: record(t, 'h', 10_000_000),
    });
    expect(inflated).toMatchObject({ posted: 100, overage: 9_999_900, flags: ['OVERAGE'] });
    await expect(
      ledger.reserve({ tenantId: t, requestId: 'next', amount: 900, expiresAt: now + 1000 }),
    ).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED', details: { available: 1000 - 10_000_000 } });
    expect(await ledger.hold(t, 'next')).toBeNull();
    // the summary tenants read agrees with what reserve decides
    expect(await ledger.account(t)).toMatchObject({
      posted: 100,
      pending: 0,
      overage: 9_999_900,
      available: 1000 - 10_000_000,
    });
  });

  it('refuses a top-up past 2^53 without recording its id, so the credit is not lost', async () => {
    const t = uniqueSuffix();
    await ledger.ensureAccount(t, { budget: Number.MAX_SAFE_INTEGER - 10, mode: 'prepaid' });
    await expect(ledger.topUp({ tenantId: t, topUpId: 'pay-1', amount: 100 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(await redis.hexists(tenantKeys(t).topups, 'pay-1')).toBe(0);
    expect((await ledger.account(t)).budget).toBe(Number.MAX_SAFE_INTEGER - 10);
    // the same payment id still applies once the amount fits
    expect(await ledger.topUp({ tenantId: t, topUpId: 'pay-1', amount: 10 })).toEqual({
      budget: Number.MAX_SAFE_INTEGER,
      replay: false,
    });
  });

  it('caps budgets and amounts below 2^53 at the TypeScript edge', async () => {
    const t = uniqueSuffix();
    await expect(ledger.ensureAccount(t, 2 ** 53)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await ledger.ensureAccount(t, 100);
    await expect(ledger.configureAccount(t, { budget: 2 ** 53 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(
      ledger.reserve({ tenantId: t, requestId: 'big', amount: 2 ** 53, expiresAt: now + 1000 }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await ledger.account(t)).toMatchObject({ budget: 100, pending: 0 });
  });

  it('validates every script argument in Lua before its first write', async () => {
    const t = uniqueSuffix();
    const keys = scriptKeys(t);
    const refusal = (p: Promise<string>) =>
      p.then(
        (r) => (JSON.parse(r) as { status: string }).status,
        (e: Error) => e.message,
      );
    await ledger.ensureAccount(t, { budget: Number.MAX_SAFE_INTEGER - 5, mode: 'prepaid' });
    // a due hold: any script that wrote before validating would expire it first
    await ledger.reserve({ tenantId: t, requestId: 'due', amount: 1, expiresAt: now - 1 });
    const before = await redis.hgetall(tenantKeys(t).account);
    const bad: [LedgerFunctionName, string[]][] = [
      ['reserve', ['r', '1e3', String(now + 1000), String(now), '2026-11', '0']],
      ['reserve', ['r', '10', String(now + 1000), 'soon', '2026-11', '0']],
      ['reserve', ['r', '10', String(now + 1000), String(now), '2026-11', '-1']],
      ['reserve', ['r', '9007199254740992', String(now + 1000), String(now), '2026-11', '0']],
      ['post', ['due', '12.5', String(now), '{}', '2026-11', '0']],
      ['post', ['due', '1', String(now), '', '2026-11', '0']],
      ['void', ['due', 'NaN']],
      ['topup', ['tx', '-5']],
      ['topup', ['tx', '99999999999999999999']],
      ['topup', ['', '5']],
      ['sweep', [String(now), 'all']],
    ];
    for (const [script, args] of bad) {
      const reply = callLedger(redis, script, keys, args) as Promise<string>;
      expect(await refusal(reply), `${script} ${args.join(' ')}`).toBe('INVALID_ARGUMENT');
    }
    expect(await redis.hgetall(tenantKeys(t).account)).toEqual(before);
    expect((await ledger.hold(t, 'due'))?.state).toBe('pending');
    expect(await redis.hlen(tenantKeys(t).topups)).toBe(0);
  });

  it('keeps resolved holds for the replay window, then prunes them (pending ones never)', async () => {
    const t = uniqueSuffix();
    let clock = Date.UTC(2026, 5, 1);
    const windowed = new Ledger(redis, { clock: () => clock, replayWindowMs: 7 * 24 * 3600_000 });
    await windowed.ensureAccount(t, 1000);
    await windowed.reserve({ tenantId: t, requestId: 'posted', amount: 50, expiresAt: clock + 60_000 });
    const first = await windowed.post({
      tenantId: t,
      requestId: 'posted',
      actual: 20,
      record: record(t, 'posted', 20),
    });
    await windowed.reserve({ tenantId: t, requestId: 'voided', amount: 50, expiresAt: clock + 60_000 });
    await windowed.void({ tenantId: t, requestId: 'voided' });
    await windowed.reserve({ tenantId: t, requestId: 'expired', amount: 50, expiresAt: clock + 1 });
    await windowed.reserve({
      tenantId: t,
      requestId: 'pending',
      amount: 50,
      expiresAt: clock + 30 * 24 * 3600_000,
    });
    clock += 2;
    expect(await windowed.sweep(t)).toBe(1); // 'expired' expires now: its window starts here

    clock += 6 * 24 * 3600_000; // inside the window: every replay is still idempotent
    await windowed.sweep(t);
    const replayed = await windowed.reserve({
      tenantId: t,
      requestId: 'posted',
      amount: 50,
      expiresAt: clock + 60_000,
    });
    expect(replayed).toMatchObject({ replay: true, state: 'posted' });
    expect(
      await windowed.post({ tenantId: t, requestId: 'posted', actual: 20, record: record(t, 'posted', 20) }),
    ).toMatchObject({ replay: true, recordId: first.recordId });
    expect((await windowed.void({ tenantId: t, requestId: 'voided' })).replay).toBe(true);
    expect((await windowed.hold(t, 'expired'))?.state).toBe('expired');
    expect(await windowed.usageCount(t)).toBe(1);

    clock += 2 * 24 * 3600_000; // past the window
    await windowed.sweep(t);
    for (const id of ['posted', 'voided', 'expired']) expect(await windowed.hold(t, id)).toBeNull();
    expect((await windowed.hold(t, 'pending'))?.state).toBe('pending');
    expect(await redis.zcard(tenantKeys(t).resolved)).toBe(0);
    expect(await windowed.account(t)).toMatchObject({ posted: 20, pending: 50 });
  });

  it('agrees with a reference model on random operation sequences, retries included', async () => {
    type Op =
      | { kind: 'reserve'; id: number; amount: number; ttl: number }
      | { kind: 'post'; id: number; actual: number }
      | { kind: 'void'; id: number }
      | { kind: 'advance'; ms: number }
      | { kind: 'topup'; id: number; amount: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        kind: fc.constant('reserve' as const),
        id: fc.nat({ max: 7 }),
        amount: fc.integer({ min: 0, max: 400 }),
        ttl: fc.integer({ min: 1, max: 50 }),
      }),
      fc.record({
        kind: fc.constant('post' as const),
        id: fc.nat({ max: 7 }),
        actual: fc.integer({ min: 0, max: 500 }),
      }),
      fc.record({ kind: fc.constant('void' as const), id: fc.nat({ max: 7 }) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 30 }) }),
      fc.record({
        kind: fc.constant('topup' as const),
        id: fc.nat({ max: 3 }),
        amount: fc.integer({ min: 0, max: 300 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1000 }),
        // each op may be delivered twice, as a retried activity or a re-sent command would be
        fc.array(fc.tuple(opArb, fc.boolean()), { minLength: 1, maxLength: 40 }),
        async (initialBudget, ops) => {
          const t = uniqueSuffix();
          // prepaid, so top-ups apply and no period boundary resets the figures mid-sequence
          await ledger.ensureAccount(t, { budget: initialBudget, mode: 'prepaid' });
          let budget = initialBudget;
          const topUps = new Set<number>();
          const model = {
            posted: 0,
            pending: 0,
            overage: 0,
            records: 0,
            holds: new Map<string, { state: string; amount: number; expiresAt: number }>(),
          };
          const expire = () => {
            for (const h of model.holds.values()) {
              if (h.state === 'pending' && h.expiresAt <= now) {
                h.state = 'expired';
                model.pending -= h.amount;
              }
            }
          };
          for (const [op, duplicate] of ops) {
            for (let delivery = 0; delivery < (duplicate ? 2 : 1); delivery++) {
              const id = `r${'id' in op ? op.id : ''}`;
              if (op.kind === 'advance') {
                now += op.ms;
                continue;
              }
              if (op.kind === 'topup') {
                const r = await ledger.topUp({ tenantId: t, topUpId: `tx${op.id}`, amount: op.amount });
                expect(r.replay).toBe(topUps.has(op.id));
                if (!topUps.has(op.id)) budget += op.amount;
                topUps.add(op.id);
                expect(r.budget).toBe(budget);
                continue;
              }
              expire();
              const h = model.holds.get(id);
              if (op.kind === 'reserve') {
                const expected = h
                  ? 'replay'
                  : op.amount <= budget - model.posted - model.pending - model.overage
                    ? 'ok'
                    : 'refused';
                const got = await ledger
                  .reserve({ tenantId: t, requestId: id, amount: op.amount, expiresAt: now + op.ttl })
                  .then(
                    (r) => (r.replay ? 'replay' : 'ok'),
                    (e: { code: string }) => (e.code === 'BUDGET_EXCEEDED' ? 'refused' : e.code),
                  );
                expect(got).toBe(expected);
                if (expected === 'ok') {
                  model.holds.set(id, { state: 'pending', amount: op.amount, expiresAt: now + op.ttl });
                  model.pending += op.amount;
                }
              } else if (op.kind === 'post') {
                const expected = !h
                  ? 'HOLD_NOT_FOUND'
                  : h.state === 'voided'
                    ? 'HOLD_ALREADY_RESOLVED'
                    : h.state === 'posted'
                      ? 'replay'
                      : 'ok';
                const got = await ledger
                  .post({ tenantId: t, requestId: id, actual: op.actual, record: record(t, id, op.actual) })
                  .then(
                    (r) => (r.replay ? 'replay' : 'ok'),
                    (e: { code: string }) => e.code,
                  );
                expect(got).toBe(expected);
                if (expected === 'ok' && h) {
                  if (h.state === 'pending') {
                    const p = Math.min(op.actual, h.amount);
                    model.pending -= h.amount;
                    model.posted += p;
                    model.overage += op.actual - p;
                  } else {
                    model.overage += op.actual;
                  }
                  h.state = 'posted';
                  model.records++;
                }
              } else {
                const expected = !h
                  ? 'HOLD_NOT_FOUND'
                  : h.state === 'posted'
                    ? 'HOLD_ALREADY_RESOLVED'
                    : h.state === 'pending'
                      ? 'ok'
                      : 'replay';
                const got = await ledger.void({ tenantId: t, requestId: id }).then(
                  (r) => (r.replay ? 'replay' : 'ok'),
                  (e: { code: string }) => e.code,
                );
                expect(got).toBe(expected);
                if (expected === 'ok' && h) {
                  h.state = 'voided';
                  model.pending -= h.amount;
                }
              }
              const account = await ledger.account(t);
              expect(account).toMatchObject({
                budget,
                posted: model.posted,
                pending: model.pending,
                overage: model.overage,
                available: budget - model.posted - model.pending - model.overage,
              });
              expect(account.posted + account.pending).toBeLessThanOrEqual(budget);
              expect(await ledger.usageCount(t)).toBe(model.records);
            }
          }
          // every hold ends in exactly one state, and usage records sum to posted + overage
          const records = await ledger.listUsage(t, { limit: 1000 });
          expect(records.reduce((s, r) => s + r.retailCharge, 0)).toBe(model.posted + model.overage);
          for (const [id, h] of model.holds) expect((await ledger.hold(t, id))?.state).toBe(h.state);
        },
      ),
      { numRuns: 100 },
    );
  });
});
