/**
 * Site-usage disputes in settlement: records the ledger flagged because the serving site reported
 * other figures than the federation billed are listed per (creditor, debtor, model) in the signed
 * statement, with the site's claim beside the billed tokens; amounts are priced on billed tokens only,
 * and the statement still recomputes identically.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { priceUsage } from '@federa/domain';
import { periodOf, verifyStatement } from '@federa/settlement';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { appendRecord } from '../support/settlement-fixtures';
import { TEST_MODEL, testTopology } from '../support/topology';

describe('site-usage disputes in settlement', () => {
  const s = uniqueSuffix();
  const rhein = `${s}-rhein`;
  const albion = `${s}-albion`;
  let fed: Federation;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s));
  });
  afterAll(async () => fed?.close());

  it('lists disputed records per creditor, debtor and model, priced on billed tokens only', async () => {
    const { periodMs } = fed.settlementConfig;
    // keep every record in one period
    const left = periodOf(Date.now(), periodMs).endMs - Date.now();
    if (left < 10_000) await sleep(left + 50);
    const roaming = { tenantId: `${s}-eu`, homeOperator: rhein, servingOperator: albion, siteId: `${s}-sto` };
    const billed = [
      { inputTokens: 10, outputTokens: 20 },
      { inputTokens: 100, outputTokens: 64, flags: ['SITE_USAGE_DISPUTED'], site: [130, 64] },
      { inputTokens: 50, outputTokens: 32, flags: ['OUTPUT_CLAMPED'], site: [50, 900] },
      // within tolerance: the site's figures are kept but it is no dispute
      { inputTokens: 40, outputTokens: 8, flags: [], site: [41, 8] },
    ];
    for (const b of billed)
      await appendRecord(fed, {
        ...roaming,
        inputTokens: b.inputTokens,
        outputTokens: b.outputTokens,
        extra: {
          flags: b.flags ?? [],
          ...(b.site ? { siteReported: { inputTokens: b.site[0]!, outputTokens: b.site[1]! } } : {}),
        },
      });
    // a home-site dispute is no inter-operator matter
    await appendRecord(fed, {
      tenantId: `${s}-eu`,
      homeOperator: rhein,
      servingOperator: rhein,
      siteId: `${s}-fra`,
      extra: { flags: ['SITE_USAGE_DISPUTED'], siteReported: { inputTokens: 1, outputTokens: 1 } },
    });

    const period = periodOf(Date.now(), periodMs);
    const { statements } = await fed.settle(period.id);
    const { jws } = statements.find((x) => x.statementId === `${period.id}/${albion}~${rhein}`)!;
    const { payload } = await verifyStatement(jws, { keys: [fed.clearingKey.publicJwk] });
    expect(payload.siteUsageDisputes).toEqual([
      {
        creditor: albion,
        debtor: rhein,
        model: TEST_MODEL,
        records: 2,
        billed: { inputTokens: 150, outputTokens: 96 },
        siteReported: { inputTokens: 180, outputTokens: 964 },
      },
    ]);
    const card = fed.topology.rateAt(albion, TEST_MODEL, Date.now())!.wholesale;
    const [line] = payload.lines;
    expect(line).toMatchObject({ records: 4, inputTokens: 200, outputTokens: 124 });
    expect(line!.amount).toBe(
      billed.reduce((t, b) => t + priceUsage(card, b.inputTokens, b.outputTokens), 0),
    );
    // deterministic: the federation's recompute agrees line by line
    const checked = await fed.call('settlement.verify', { jws }, await fed.token('operator', rhein));
    expect(checked.body.result.data).toMatchObject({ signatureValid: true, totalsMatch: true });
  });
});
