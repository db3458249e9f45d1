/**
 * The concurrency storm: 2,000 simultaneous requests through the API for a tenant whose budget
 * covers 150 of them. Check-then-charge gateways overshoot here; the ledger's atomic holds must
 * serve exactly what the budget allows and refuse the rest with BUDGET_EXCEEDED before dispatch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { priceUsage } from '@federa/domain';
import { countChatTokens } from '@federa/tokenizer';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';

const REQUESTS = 2000;
const AFFORDABLE = 150;
const MAX_TOKENS = 16;

describe('concurrency storm', () => {
  const s = uniqueSuffix();
  const tenant = `${s}-any`;
  let fed: Federation;
  let cost: number;
  let budget: number;

  beforeAll(async () => {
    // the emulator writes exactly max_tokens, so every hold equals its final charge and the number
    // the budget allows is exact
    const probe = chat('probe', { max_tokens: MAX_TOKENS });
    const retail = { inputPer1M: 190_000, outputPer1M: 590_000 }; // the tenant's home operator (pacific)
    cost = priceUsage(retail, countChatTokens(probe.messages), MAX_TOKENS);
    budget = cost * AFFORDABLE + Math.floor(cost / 2);
    fed = await startFederation(testTopology(s, { budgets: { any: budget } }), {
      behaviour: { completionTokens: MAX_TOKENS },
      // every request's first workflow task runs in this process now (the data plane's eager
      // start): 32 at once keep this 2-core machine's event loop answering within the task
      // timeout; the other requests wait in the admission queue, all 2,000 sent at once
      maxInFlight: 32,
    });
    expect(fed.topology.operator(`${s}-pacific`).rateCard[TEST_MODEL]!.retail).toEqual(retail);
  });
  afterAll(async () => fed?.close());

  it(`serves exactly what the budget allows out of ${REQUESTS} concurrent requests`, async () => {
    const token = await fed.token('tenant', tenant);
    const responses = await Promise.all(
      Array.from({ length: REQUESTS }, (_, i) =>
        fed.call('inference.complete', chat(`storm-${i}`, { max_tokens: MAX_TOKENS }), token),
      ),
    );
    const served = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status !== 200);

    expect(served).toHaveLength(AFFORDABLE);
    for (const r of served) expect(r.body.result.data.charge.amount).toBe(cost);
    expect(new Set(refused.map((r) => `${r.status} ${r.body.error.data.federaCode}`))).toEqual(
      new Set(['402 BUDGET_EXCEEDED']),
    );

    const account = await fed.ledger.account(tenant);
    expect(account.posted).toBe(AFFORDABLE * cost);
    expect(account.posted).toBeLessThanOrEqual(budget);
    expect(account.pending).toBe(0);
    expect(account.overage).toBe(0);
    // what is left cannot pay for one more request
    expect(account.available).toBeLessThan(cost);
    // refused requests dispatched nothing; every served one has exactly one record
    expect(fed.totalCompletions()).toBe(AFFORDABLE);
    expect(await fed.ledger.usageCount(tenant)).toBe(AFFORDABLE);
    const records = await fed.ledger.listUsage(tenant, { limit: 1000 });
    expect(new Set(records.map((r) => r.requestId)).size).toBe(AFFORDABLE);
    expect(records.reduce((sum, r) => sum + r.retailCharge, 0)).toBe(account.posted);
  }, 600_000);
});
