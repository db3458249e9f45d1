/**
 * Sites are not trusted for what they charge: the control plane bills the API edge's input count,
 * clamps output to max_tokens, flags a site whose figures are off, and dates and prices the record
 * by its own clock. The activity runs directly against real Redis (with the site's claim and the
 * control plane's clock chosen), then the whole path runs with an emulated site that over-reports.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TopologyIndex, parseTopology, priceUsage } from '@federa/domain';
import { Ledger } from '@federa/ledger';
import { countChatTokens } from '@federa/tokenizer';
import { Observations, createControlActivities, type ReconcileInput } from '@federa/workflows';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';

const CURRENT_CARD = { inputPer1M: 200_000, outputPer1M: 600_000 }; // rhein's retail card in testTopology

describe('reconcileUsage against a site that misreports', () => {
  const s = uniqueSuffix();
  const tenant = `${s}-eu`;
  let redis: Redis;
  let controlNow = Date.UTC(2026, 10, 15, 12, 0, 0);
  let control: ReturnType<typeof createControlActivities>;
  let ledger: Ledger;

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'));
    const input = testTopology(s);
    const topology = new TopologyIndex(
      parseTopology({
        ...input,
        // a much dearer card from 2030: a site whose clock says 2031 must not be able to pick it
        rateCards: [
          {
            operator: `${s}-rhein`,
            model: TEST_MODEL,
            effectiveFrom: '2030-01-01T00:00:00.000Z',
            retail: { inputPer1M: 9_000_000, outputPer1M: 9_000_000 },
            wholesale: { inputPer1M: 9_000_000, outputPer1M: 9_000_000 },
          },
        ],
      }),
    );
    ledger = new Ledger(redis, { clock: () => controlNow, period: 'month' });
    await ledger.ensureAccount(tenant, 10_000_000);
    control = createControlActivities({
      topology: async () => topology,
      ledger,
      observations: new Observations(redis),
      clock: () => controlNow,
    });
  });
  afterAll(() => redis?.disconnect());

  async function serve(
    requestId: string,
    claim: { inputTokens: number; outputTokens: number; completedAt?: string },
  ) {
    await control.reserveHold({
      tenantId: tenant,
      requestId,
      amount: priceUsage(CURRENT_CARD, 20, 64),
      tokens: 20 + 64,
      ttlMs: 600_000,
    });
    const siteClock = claim.completedAt ?? new Date(controlNow).toISOString();
    const input: ReconcileInput = {
      tenantId: tenant,
      requestId,
      model: TEST_MODEL,
      served: { siteId: `${s}-par`, operatorId: `${s}-rhein`, jurisdiction: 'FR' },
      dispatch: {
        siteId: `${s}-par`,
        inputTokens: claim.inputTokens,
        outputTokens: claim.outputTokens,
        startedAt: siteClock,
        completedAt: siteClock,
        totalMs: 40,
        networkMs: 10,
      },
      policyVersion: 1,
      failedAttempts: 0,
      candidates: [`${s}-par`],
      priorAttemptMayHaveServed: false,
      edgeInputTokens: 20,
      maxTokens: 64,
    };
    const result = await control.reconcileUsage(input);
    const [record] = await ledger.listUsage(tenant, { limit: 1 });
    expect(record?.requestId).toBe(requestId);
    return { result, record: record! };
  }

  it('dates and prices the record by the control plane clock, whatever the agent clock says', async () => {
    controlNow = Date.UTC(2026, 10, 15, 12, 0, 0);
    const { result, record } = await serve('far-future-clock', {
      inputTokens: 20,
      outputTokens: 10,
      completedAt: '2031-06-01T00:00:00.000Z',
    });
    expect(record.completedAt).toBe(new Date(controlNow).toISOString());
    expect(Date.parse(record.startedAt)).toBeLessThanOrEqual(controlNow);
    expect(record.retailCharge).toBe(priceUsage(CURRENT_CARD, 20, 10));
    expect(result.retailCharge).toBe(priceUsage(CURRENT_CARD, 20, 10));

    const past = await serve('far-past-clock', {
      inputTokens: 20,
      outputTokens: 10,
      completedAt: '2001-01-01T00:00:00.000Z',
    });
    expect(past.record.completedAt).toBe(new Date(controlNow).toISOString());
  });

  it('bills the edge input and at most max_tokens, flags the record and keeps the site figures', async () => {
    const { result, record } = await serve('inflated', { inputTokens: 500, outputTokens: 10_000 });
    expect(record).toMatchObject({
      inputTokens: 20,
      outputTokens: 64,
      retailCharge: priceUsage(CURRENT_CARD, 20, 64),
      siteReported: { inputTokens: 500, outputTokens: 10_000 },
    });
    expect(record.flags).toEqual(expect.arrayContaining(['SITE_USAGE_DISPUTED', 'OUTPUT_CLAMPED']));
    expect(result).toMatchObject({ usage: { inputTokens: 20, outputTokens: 64 }, overage: 0 });
  });

  it('accepts a site count within the tolerance without a flag', async () => {
    const { record } = await serve('close-enough', { inputTokens: 22, outputTokens: 5 });
    expect(record).toMatchObject({
      inputTokens: 20,
      outputTokens: 5,
      siteReported: { inputTokens: 22, outputTokens: 5 },
    });
    expect(record.flags).toEqual([]);
  });
});

describe('a site that over-reports usage, end to end', () => {
  const s = uniqueSuffix();
  const tenant = `${s}-eu`;
  let fed: Federation;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s), { behaviour: { usageInflation: 1000 } });
  });
  afterAll(async () => fed?.close());

  it('is billed at the edge count and the relayed output, flagged, and the hold covers it all', async () => {
    const request = chat('over-reported', { max_tokens: 64 });
    const edgeCount = countChatTokens(request.messages);
    const res = await fed.call('inference.complete', request, await fed.token('tenant', tenant));
    expect(res.status).toBe(200);
    const data = res.body.result.data;
    // on the data plane the agent counts what it relays: the site's 1000-fold claims are not billed
    const written = fed.emulator(data.route.siteId).behaviour().completionTokens;
    expect(written).toBeLessThan(64);
    expect(data.usage).toEqual({ inputTokens: edgeCount, outputTokens: written });

    const [record] = await fed.ledger.listUsage(tenant, { limit: 1 });
    expect(record).toMatchObject({
      inputTokens: edgeCount,
      outputTokens: written,
      siteReported: expect.objectContaining({ inputTokens: edgeCount * 1000 }),
    });
    expect(record!.flags).toContain('SITE_USAGE_DISPUTED');
    expect(record!.flags).not.toContain('OVERAGE');
    const account = await fed.ledger.account(tenant);
    expect(account).toMatchObject({ posted: data.charge.amount, pending: 0, overage: 0 });
    expect(data.charge.amount).toBeLessThanOrEqual(data.charge.held);
  });
});
