/**
 * The request path end to end: failover, budget refusal, reconciliation, idempotency and tenant
 * isolation — through the real API, real Temporal, real Redis and emulated sites over HTTP.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { priceUsage } from '@federa/domain';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';

describe('request path', () => {
  const s = uniqueSuffix();
  let fed: Federation;
  let frToken: string;
  let policyVersion: number;
  const eu = `${s}-eu`;
  // Pinned ranking for the EU tenant: price only, so latency estimates (which move with every
  // observation) and in-flight load cannot reorder the sites between two requests. Albion's
  // Stockholm site is the cheapest; Rhein's two tie and fall back to id order (fra before par).
  const best = `${s}-sto`;
  const next = `${s}-fra`;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s));
    frToken = await fed.token('tenant', `${s}-eu`);
    const pinned = await fed.call(
      'policy.set',
      { weights: { latency: 0, load: 0, price: 1 }, preferHome: { mode: 'off', marginMs: 0 } },
      await fed.token('admin', 'request-path-suite'),
    );
    expect(pinned.status).toBe(200);
    policyVersion = pinned.body.result.data.version as number;
  });
  afterAll(async () => fed?.close());
  beforeEach(() => {
    for (const e of fed.emulators.values()) e.configure({ down: false, forceStatus: 0, errorRate: 0 });
  });

  /** One healthy request first: it proves the pinned order and resets the best site's failure streak. */
  async function servedByBest(requestId: string): Promise<void> {
    const res = await fed.call('inference.complete', chat(requestId), frToken);
    expect(res.status).toBe(200);
    expect(res.body.result.data.route.siteId).toBe(best);
  }

  it.each([
    ['down (connection reset)', { down: true }],
    ['answering HTTP 500', { forceStatus: 500 }],
    ['answering HTTP 503', { forceStatus: 503 }],
  ])('fails over when the best site is %s, with one record and one charge', async (_label, fault) => {
    await servedByBest(`probe-${_label.replace(/\W/g, '')}`);
    fed.emulator(best).configure(fault);
    const before = await fed.ledger.account(eu);
    const usageBefore = await fed.ledger.usageCount(eu);
    const requestId = `failover-${JSON.stringify(fault).replace(/\W/g, '')}`;

    const res = await fed.call('inference.complete', chat(requestId), frToken);
    expect(res.status).toBe(200);
    const data = res.body.result.data;
    expect(data.route.siteId).toBe(next);
    expect(data.route.attempts[0]).toMatchObject({ siteId: best, outcome: 'failed' });
    expect(data.route.attempts.at(-1)).toMatchObject({ siteId: data.route.siteId, outcome: 'served' });

    const after = await fed.ledger.account(eu);
    expect(await fed.ledger.usageCount(eu)).toBe(usageBefore + 1);
    expect(after.posted - before.posted).toBe(data.charge.amount);
    expect(after.pending).toBe(0);
    const [record] = await fed.ledger.listUsage(eu, { limit: 1 });
    expect(record).toMatchObject({ requestId, siteId: data.route.siteId, failedAttempts: 1 });
    expect(record!.flags).toContain('FAILOVER');
    expect(fed.emulator(data.route.siteId).stats().duplicates).toBe(0);
  });

  it('fails with ALL_SITES_FAILED and releases the hold when every eligible site is down', async () => {
    for (const e of fed.emulators.values()) e.configure({ down: true });
    const before = await fed.ledger.account(eu);
    const res = await fed.call('inference.complete', chat('all-down'), frToken);
    expect(res.status).toBe(503);
    expect(res.body.error.data.federaCode).toBe('ALL_SITES_FAILED');
    expect(await fed.ledger.account(eu)).toEqual(before);
    expect((await fed.ledger.hold(eu, 'all-down'))?.state).toBe('voided');
  });

  it('refuses with BUDGET_EXCEEDED and dispatches nothing when the budget cannot cover the hold', async () => {
    const poor = `${s}-poor`;
    const before = await fed.ledger.account(poor);
    const completions = fed.totalCompletions();
    const res = await fed.call('inference.complete', chat('too-expensive'), await fed.token('tenant', poor));
    expect(res.status).toBe(402);
    expect(res.body.error.data.federaCode).toBe('BUDGET_EXCEEDED');
    expect(fed.totalCompletions()).toBe(completions);
    expect(await fed.ledger.account(poor)).toEqual(before);
    expect(await fed.ledger.usageCount(poor)).toBe(0);
  });

  it('posts the price of the actual tokens and returns the unused hold to the budget', async () => {
    const before = await fed.ledger.account(eu);
    const res = await fed.call('inference.complete', chat('reconcile-1', { max_tokens: 500 }), frToken);
    expect(res.status).toBe(200);
    const data = res.body.result.data;
    const retail = fed.topology.operator(`${s}-rhein`).rateCard[TEST_MODEL]!.retail;
    const site = fed.emulator(data.route.siteId);
    // the emulator writes fewer tokens than max_tokens, so most of the hold must come back
    expect(data.usage.outputTokens).toBe(site.behaviour().completionTokens);
    expect(data.charge.amount).toBe(priceUsage(retail, data.usage.inputTokens, data.usage.outputTokens));
    expect(data.charge.held).toBe(priceUsage(retail, data.usage.inputTokens, 500));
    expect(data.charge.amount).toBeLessThan(data.charge.held);

    const after = await fed.ledger.account(eu);
    expect(after.pending).toBe(0);
    expect(after.posted - before.posted).toBe(data.charge.amount);
    expect(after.available).toBe(before.available - data.charge.amount);
    const [record] = await fed.ledger.listUsage(eu, { limit: 1 });
    expect(record).toMatchObject({
      requestId: 'reconcile-1',
      tenantId: eu,
      homeOperator: `${s}-rhein`,
      siteId: data.route.siteId,
      jurisdiction: data.route.jurisdiction,
      inputTokens: data.usage.inputTokens,
      outputTokens: data.usage.outputTokens,
      retailCharge: data.charge.amount,
      currency: 'EUR',
      policyVersion,
    });
    expect(Number.isSafeInteger(record!.wholesaleCharge)).toBe(true);
  });

  it('serves a repeated client request id once, charges once, and says it was served', async () => {
    const before = await fed.ledger.account(eu);
    const usageBefore = await fed.ledger.usageCount(eu);
    const completions = fed.totalCompletions();
    const first = await fed.call('inference.complete', chat('same-id'), frToken);
    const again = await fed.call('inference.complete', chat('same-id'), frToken);
    // and concurrently, while nothing is cached on the client side
    const concurrent = await Promise.all(
      Array.from({ length: 5 }, () => fed.call('inference.complete', chat('same-id-concurrent'), frToken)),
    );
    expect(first.status).toBe(200);
    // the completion crossed only the data plane and is kept nowhere: a replay cannot return it
    expect(again.status).toBe(409);
    expect(again.body.error.data.federaCode).toBe('REQUEST_ALREADY_SERVED');
    const servedOnce = concurrent.filter((r) => r.status === 200);
    expect(servedOnce).toHaveLength(1);
    for (const r of concurrent.filter((c) => c.status !== 200)) {
      expect(r.status).toBe(409);
      expect(['REQUEST_IN_PROGRESS', 'REQUEST_ALREADY_SERVED']).toContain(r.body.error.data.federaCode);
    }

    expect(await fed.ledger.usageCount(eu)).toBe(usageBefore + 2);
    expect(fed.totalCompletions()).toBe(completions + 2);
    const after = await fed.ledger.account(eu);
    expect(after.posted - before.posted).toBe(
      first.body.result.data.charge.amount + servedOnce[0]!.body.result.data.charge.amount,
    );
    const [record] = await fed.ledger.listUsage(eu, { limit: 1 });
    expect(record!.requestId).toBe('same-id-concurrent');
  });

  it('never shows a tenant another tenant’s usage', async () => {
    const other = `${s}-fr`;
    const otherToken = await fed.token('tenant', other);
    const mine = await fed.call('usage.list', { limit: 100 }, frToken, { method: 'GET' });
    expect(mine.status).toBe(200);
    expect(mine.body.result.data.records.length).toBeGreaterThan(0);

    const theirs = await fed.call('usage.list', { limit: 100 }, otherToken, { method: 'GET' });
    expect(theirs.status).toBe(200);
    expect(theirs.body.result.data.records).toEqual([]);

    // once the other tenant has usage of its own, each sees exactly its own
    const served = await fed.call('inference.complete', chat('other-1'), otherToken);
    expect(served.status).toBe(200);
    const theirsNow = await fed.call('usage.list', { limit: 100 }, otherToken, { method: 'GET' });
    expect(theirsNow.body.result.data.records.map((r: { requestId: string }) => r.requestId)).toEqual([
      'other-1',
    ]);
    const mineNow = await fed.call('usage.list', { limit: 100 }, frToken, { method: 'GET' });
    expect(mineNow.body.result.data.records.map((r: { requestId: string }) => r.requestId)).not.toContain(
      'other-1',
    );
    // input cannot name a tenant: unknown keys are stripped, the token decides
    const sneaky = await fed.call('usage.list', { limit: 100, tenantId: eu }, otherToken, { method: 'GET' });
    expect(sneaky.body.result.data.records.map((r: { requestId: string }) => r.requestId)).toEqual([
      'other-1',
    ]);
  });
});
