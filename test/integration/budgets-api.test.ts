/**
 * Budgets through the API: admins set budgets, modes and token-rate limits and top up prepaid
 * credit (audited); tenants read their summary; refusals carry stable codes and Retry-After.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { testTopology } from '../support/topology';

describe('budgets through the API', () => {
  const s = uniqueSuffix();
  const tenant = `${s}-fr`;
  let fed: Federation;
  let admin: string;
  let tenantToken: string;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s), { maxInFlight: 4, maxQueued: 0 });
    admin = await fed.token('admin', 'alice@federation');
    tenantToken = await fed.token('tenant', tenant);
  });
  afterAll(async () => fed?.close());

  it('lets an admin set a budget and rate limit, audited with before and after', async () => {
    const res = await fed.call(
      'budgets.set',
      { tenantId: tenant, budget: 5_000_000, tokensPerMinute: 100_000 },
      admin,
    );
    expect(res.status).toBe(200);
    expect(res.body.result.data).toMatchObject({
      budget: 5_000_000,
      tokensPerMinute: 100_000,
      mode: 'period',
    });

    const summary = await fed.call('usage.summary', undefined, tenantToken, { method: 'GET' });
    expect(summary.body.result.data).toMatchObject({
      budget: 5_000_000,
      spent: 0,
      held: 0,
      available: 5_000_000,
      tokensPerMinute: 100_000,
      currency: 'EUR',
    });

    const audit = await fed.call('audit.list', { limit: 10 }, admin, { method: 'GET' });
    const entry = audit.body.result.data.entries.find(
      (e: { target: string }) => e.target === `tenant:${tenant}`,
    );
    expect(entry).toMatchObject({
      procedure: 'budgets.set',
      actor: { role: 'admin', subject: 'alice@federation' },
      before: { budget: 10_000_000, tokensPerMinute: 0 },
      after: { budget: 5_000_000, tokensPerMinute: 100_000 },
    });
  });

  it('refuses budget changes from tenants and operators, and bad input, changing nothing', async () => {
    const before = await fed.ledger.account(tenant);
    // the audit stream is shared by every suite: mark where it stands
    const marker = (await fed.call('audit.list', { limit: 1 }, admin, { method: 'GET' })).body.result.data
      .entries[0]?.id;
    const asTenant = await fed.call('budgets.set', { tenantId: tenant, budget: 1 }, tenantToken);
    expect(asTenant.status).toBe(403);
    const asOperator = await fed.call(
      'budgets.set',
      { tenantId: tenant, budget: 1 },
      await fed.token('operator', `${s}-rhein`),
    );
    expect(asOperator.status).toBe(403);
    const negative = await fed.call('budgets.set', { tenantId: tenant, budget: -5 }, admin);
    expect(negative.status).toBe(400);
    expect(negative.body.error.data.federaCode).toBe('VALIDATION_FAILED');
    const fractional = await fed.call('budgets.set', { tenantId: tenant, budget: 1.5 }, admin);
    expect(fractional.status).toBe(400);
    const unknown = await fed.call('budgets.set', { tenantId: `${s}-nobody`, budget: 5 }, admin);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.data.federaCode).toBe('NOT_FOUND');
    const tenantReadsAudit = await fed.call('audit.list', { limit: 5 }, tenantToken, { method: 'GET' });
    expect(tenantReadsAudit.status).toBe(403);

    expect(await fed.ledger.account(tenant)).toEqual(before);
    const newest = (await fed.call('audit.list', { limit: 1 }, admin, { method: 'GET' })).body.result.data
      .entries[0]?.id;
    expect(newest).toBe(marker);
  });

  it('tops up prepaid credit once per payment id', async () => {
    const prepaid = `${s}-any`;
    await fed.call('budgets.set', { tenantId: prepaid, budget: 0, mode: 'prepaid' }, admin);
    const first = await fed.call(
      'budgets.topUp',
      { tenantId: prepaid, topUpId: 'pay-1', amount: 2_000_000 },
      admin,
    );
    const again = await fed.call(
      'budgets.topUp',
      { tenantId: prepaid, topUpId: 'pay-1', amount: 2_000_000 },
      admin,
    );
    expect(first.body.result.data).toEqual({ budget: 2_000_000, replay: false });
    expect(again.body.result.data).toEqual({ budget: 2_000_000, replay: true });
    const served = await fed.call(
      'inference.complete',
      chat('prepaid-1'),
      await fed.token('tenant', prepaid),
    );
    expect(served.status).toBe(200);
  });

  it('refuses with RATE_LIMITED and a Retry-After header when the token rate is spent, dispatching nothing', async () => {
    await fed.call('budgets.set', { tenantId: tenant, budget: 5_000_000, tokensPerMinute: 150 }, admin);
    try {
      const first = await fed.call('inference.complete', chat('tpm-1', { max_tokens: 100 }), tenantToken);
      expect(first.status).toBe(200);
      const completions = fed.totalCompletions();
      const second = await fed.call('inference.complete', chat('tpm-2', { max_tokens: 100 }), tenantToken);
      expect(second.status).toBe(429);
      expect(second.body.error.data.federaCode).toBe('RATE_LIMITED');
      expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(second.body.error.data.retryAfter).toBe(Number(second.headers.get('retry-after')));
      expect(fed.totalCompletions()).toBe(completions);
      expect(await fed.ledger.hold(tenant, 'tpm-2')).toBeNull();
    } finally {
      await fed.call('budgets.set', { tenantId: tenant, budget: 5_000_000, tokensPerMinute: 0 }, admin);
    }
  });

  it('applies back-pressure: beyond the in-flight limit and queue, OVERLOADED with Retry-After', async () => {
    for (const e of fed.emulators.values()) e.configure({ ttftMs: 400 });
    try {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => fed.call('inference.complete', chat(`burst-${i}`), tenantToken)),
      );
      const overloaded = results.filter((r) => r.status === 429);
      expect(results.filter((r) => r.status === 200)).toHaveLength(4);
      expect(overloaded).toHaveLength(4);
      for (const r of overloaded) {
        expect(r.body.error.data.federaCode).toBe('OVERLOADED');
        expect(r.headers.get('retry-after')).toBe('1');
      }
    } finally {
      for (const e of fed.emulators.values()) e.configure({ ttftMs: 2 });
    }
  });
});
