/**
 * A request id names one request. A request refused without a charge (rate limit, budget, every
 * site failed, no eligible site) runs again under its id once the cause is gone; a served one is
 * charged once and answers REQUEST_ALREADY_SERVED (an id an old request workflow served still
 * answers its first result); another body under a used id is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestWorkflowId, type RequestWorkflowResult } from '@federa/workflows';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { testTopology } from '../support/topology';

describe('retrying a request under its id', () => {
  const s = uniqueSuffix();
  const eu = `${s}-eu`;
  const fr = `${s}-fr`;
  const poor = `${s}-poor`;
  const paris = `${s}-par`;
  let fed: Federation;
  let admin: string;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s));
    admin = await fed.token('admin', 'alice@federation');
  });
  afterAll(async () => fed?.close());

  async function complete(tenant: string, body: Record<string, unknown>) {
    return fed.call('inference.complete', body, await fed.token('tenant', tenant));
  }

  it('runs a RATE_LIMITED request again once the limit is raised', async () => {
    await fed.call('budgets.set', { tenantId: eu, budget: 10_000_000, tokensPerMinute: 150 }, admin);
    try {
      expect((await complete(eu, chat('tpm-first', { max_tokens: 100 }))).status).toBe(200);
      const refused = await complete(eu, chat('tpm-retry', { max_tokens: 100 }));
      expect(refused.body.error.data.federaCode).toBe('RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      await fed.call('budgets.set', { tenantId: eu, budget: 10_000_000, tokensPerMinute: 100_000 }, admin);
      const retried = await complete(eu, chat('tpm-retry', { max_tokens: 100 }));
      expect(retried.status).toBe(200);
      expect(await fed.ledger.hold(eu, 'tpm-retry')).toMatchObject({ state: 'posted' });
    } finally {
      await fed.call('budgets.set', { tenantId: eu, budget: 10_000_000, tokensPerMinute: 0 }, admin);
    }
  });

  it('runs a BUDGET_EXCEEDED request again once the budget is raised', async () => {
    const refused = await complete(poor, chat('budget-retry'));
    expect(refused.status).toBe(402);
    expect(refused.body.error.data.federaCode).toBe('BUDGET_EXCEEDED');
    expect((await complete(poor, chat('budget-retry'))).status).toBe(402);
    // a refused id is still bound to its body
    const reused = await complete(poor, chat('budget-retry', { max_tokens: 65 }));
    expect(reused.body.error.data.federaCode).toBe('IDEMPOTENCY_KEY_REUSED');
    await fed.call('budgets.set', { tenantId: poor, budget: 10_000_000 }, admin);
    const retried = await complete(poor, chat('budget-retry'));
    expect(retried.status).toBe(200);
    expect((await fed.ledger.listUsage(poor, { limit: 10 })).map((r) => r.requestId)).toEqual([
      'budget-retry',
    ]);
  });

  it('runs an ALL_SITES_FAILED request again once the site heals, re-opening its voided hold', async () => {
    fed.emulator(paris).configure({ forceStatus: 500 });
    try {
      const refused = await complete(fr, chat('heal-retry'));
      expect(refused.status).toBe(503);
      expect(refused.body.error.data.federaCode).toBe('ALL_SITES_FAILED');
      expect(await fed.ledger.hold(fr, 'heal-retry')).toMatchObject({ state: 'voided' });
    } finally {
      fed.emulator(paris).configure({ forceStatus: 0 });
    }
    const retried = await complete(fr, chat('heal-retry'));
    expect(retried.status).toBe(200);
    expect(retried.body.result.data.route.siteId).toBe(paris);
    expect(await fed.ledger.hold(fr, 'heal-retry')).toMatchObject({ state: 'posted' });
    const account = await fed.ledger.account(fr);
    expect(account.pending).toBe(0);
    expect(account.posted).toBe(retried.body.result.data.charge.amount);
  });

  it('runs a NO_ELIGIBLE_SITE request again once the site is undrained', async () => {
    const operator = await fed.token('operator', fed.topology.site(paris).operator);
    await fed.call('sites.drain', { siteId: paris }, operator);
    try {
      const refused = await complete(fr, chat('drain-retry'));
      expect(refused.status).toBe(503);
      expect(refused.body.error.data.federaCode).toBe('NO_ELIGIBLE_SITE');
    } finally {
      await fed.call('sites.undrain', { siteId: paris }, operator);
    }
    expect((await complete(fr, chat('drain-retry'))).status).toBe(200);
  });

  it('answers REQUEST_ALREADY_SERVED for a served request id, charged once', async () => {
    const before = await fed.ledger.usageCount(eu);
    const first = await complete(eu, chat('served-once'));
    const completions = fed.totalCompletions();
    const again = await complete(eu, chat('served-once'));
    expect(first.status).toBe(200);
    // the completion crossed only the data plane and is kept nowhere: a replay cannot return it
    expect(again.status).toBe(409);
    expect(again.body.error.data.federaCode).toBe('REQUEST_ALREADY_SERVED');
    expect(fed.totalCompletions()).toBe(completions);
    expect(await fed.ledger.usageCount(eu)).toBe(before + 1);
  });

  it('answers the first result of an id an old request workflow served (while they drain)', async () => {
    const body = chat('served-by-old-path');
    // what the old tRPC path started; nothing starts it any more, but its histories drain
    const old = await fed.temporal.workflow.execute('requestWorkflow', {
      taskQueue: fed.controlTaskQueue,
      workflowId: requestWorkflowId(eu, 'served-by-old-path'),
      args: [
        {
          tenantId: eu,
          requestId: body.requestId,
          model: body.model,
          messages: body.messages,
          maxTokens: body.max_tokens,
        },
      ],
    });
    const before = await fed.ledger.usageCount(eu);
    const completions = fed.totalCompletions();
    const again = await complete(eu, body);
    expect(again.status).toBe(200);
    const { sealedContent: _sealed, ...completion } = (old as RequestWorkflowResult).completion;
    expect(again.body.result.data).toEqual({ ...old, completion });
    expect(fed.totalCompletions()).toBe(completions);
    expect(await fed.ledger.usageCount(eu)).toBe(before);
  });

  it.each([
    ['model', { model: 'mistral-7b' }],
    ['messages', { messages: [{ role: 'user', content: 'Something else entirely.' }] }],
    ['max_tokens', { max_tokens: 65 }],
    ['residency', { residency: ['FR'] }],
  ])('refuses the same id with a different %s: IDEMPOTENCY_KEY_REUSED', async (_field, change) => {
    const id = `reused-${_field}`;
    expect((await complete(eu, chat(id))).status).toBe(200);
    const completions = fed.totalCompletions();
    const reused = await complete(eu, chat(id, change));
    expect(reused.status).toBe(409);
    expect(reused.body.error.data.federaCode).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(fed.totalCompletions()).toBe(completions);
  });

  it('serves exactly one of two racing first submissions with different bodies', async () => {
    const racing = await Promise.all([
      complete(eu, chat('racing', { max_tokens: 10 })),
      complete(eu, chat('racing', { max_tokens: 11 })),
    ]);
    expect(racing.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(
      (await fed.ledger.listUsage(eu, { limit: 50 })).filter((r) => r.requestId === 'racing'),
    ).toHaveLength(1);
  });
});
