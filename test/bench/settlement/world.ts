/**
 * The federation the settlement benchmarks settle: 5 operators (one in USD), 20 sites, 2 tenants per
 * operator, 2 models, and the usage record the n-th request of a tenant leaves. Shared by
 * bench:settlement (records in Redis) and bench:settlement-path (records in memory), so both measure
 * the same records.
 */
import { priceUsage, type Topology, type TopologyInput, type UsageRecord } from '@federa/domain';
import type { Period } from '@federa/settlement';

export const HOUR = 3_600_000;
const OPERATORS = ['op-a', 'op-b', 'op-c', 'op-d', 'op-e'];
const MODELS = ['m-small', 'm-large'];

export function benchTopology(run: string): TopologyInput {
  const card = (i: number) => ({
    retail: { inputPer1M: 200_000 + i, outputPer1M: 600_000 },
    wholesale: { inputPer1M: 120_000 + i * 1000, outputPer1M: 360_000 },
  });
  return {
    name: `bench-${run}`,
    operators: OPERATORS.map((id, i) => ({
      id,
      name: id,
      country: 'DE',
      currency: i === 4 ? 'USD' : 'EUR',
      rateCard: Object.fromEntries(MODELS.map((m) => [m, card(i)])),
    })),
    sites: Array.from({ length: 20 }, (_, i) => ({
      id: `site-${i}`,
      operator: OPERATORS[i % 5]!,
      jurisdiction: 'DE',
      city: 'x',
      location: { lat: 50, lon: 8 },
      endpoint: 'http://127.0.0.1:1',
      models: MODELS.map((id) => ({ id, capacity: 10 })),
    })),
    tenants: OPERATORS.flatMap((op) =>
      [1, 2].map((k) => ({
        id: `${run}-${op}-t${k}`,
        name: 't',
        homeOperator: op,
        residency: ['ANY'],
        budget: 0,
        region: 'r',
        location: { lat: 0, lon: 0 },
      })),
    ),
    fxRates: [{ from: 'USD', to: 'EUR', rateMicros: 921_337, effectiveFrom: '2020-01-01T00:00:00.000Z' }],
  };
}

/** Records each tenant leaves when `records` are spread over all tenants of the topology. */
export const recordsPerTenant = (t: Topology, records: number) => Math.ceil(records / t.tenants.length);

/**
 * The i-th usage record of the ti-th tenant, spread evenly over the period (`perTenant` per tenant),
 * and the stream id the ledger posts it under.
 */
export function benchRecord(
  t: Topology,
  period: Period,
  ti: number,
  i: number,
  perTenant: number,
): { streamId: string; record: UsageRecord } {
  const tenant = t.tenants[ti]!;
  const step = Math.floor((HOUR - 1000) / perTenant) || 1;
  const at = period.startMs + i * step;
  const site = t.sites[(i * 7 + ti) % 20]!;
  const inputTokens = 200 + ((i * 37) % 3000);
  const outputTokens = 50 + ((i * 11) % 800);
  const record: UsageRecord = {
    requestId: `r${i}`,
    tenantId: tenant.id,
    homeOperator: tenant.homeOperator,
    servingOperator: site.operator,
    siteId: site.id,
    jurisdiction: 'DE',
    model: MODELS[i % 2]!,
    inputTokens,
    outputTokens,
    currency: 'EUR',
    retailCharge: 0,
    wholesaleCharge: priceUsage(
      t.operators.find((o) => o.id === site.operator)!.rateCard[MODELS[i % 2]!]!.wholesale,
      inputTokens,
      outputTokens,
    ),
    policyVersion: 1,
    startedAt: new Date(at).toISOString(),
    completedAt: new Date(at).toISOString(),
    failedAttempts: 0,
    flags: [],
  };
  return { streamId: `${at + 50}-${i}`, record };
}
