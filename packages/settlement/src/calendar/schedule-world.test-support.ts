/**
 * The federation the schedule tests settle in: each operator with one site, one tenant at home
 * and one flat wholesale card for model `m`, so only the agreements (the schedules pairs settle
 * on) differ between the generated cases.
 */
import { TopologyIndex, parseTopology, type StoredUsageRecord } from '@federa/domain';

const CARD = { inputPer1M: 100_000, outputPer1M: 300_000 };

/** `agreements` as a topology file spells them (parties, period, timeZone, effectiveFrom…) */
export function scheduleWorld(
  name: string,
  ops: readonly string[],
  agreements: readonly unknown[],
): TopologyIndex {
  return new TopologyIndex(
    parseTopology({
      name,
      operators: ops.map((id) => ({ id, name: id, country: 'DE', currency: 'EUR', rateCard: {} })),
      sites: ops.map((id) => ({
        id: `${id}-s`,
        operator: id,
        jurisdiction: 'DE',
        city: 'x',
        location: { lat: 0, lon: 0 },
        endpoint: 'http://127.0.0.1:1',
        models: [{ id: 'm', capacity: 1 }],
      })),
      tenants: ops.map((id) => ({
        id: `${id}-t`,
        name: 't',
        homeOperator: id,
        residency: ['ANY'],
        budget: 0,
        region: 'r',
        location: { lat: 0, lon: 0 },
      })),
      rateCards: ops.map((operator) => ({
        operator,
        model: 'm',
        effectiveFrom: '1970-01-01T00:00:00.000Z',
        retail: CARD,
        wholesale: CARD,
      })),
      agreements,
    }),
  );
}

/** a generated roaming (or home) record: served by `ops[serving]` for a tenant of `ops[home]` */
export interface GeneratedRecord {
  /** its control-plane time (ms) */
  readonly at: number;
  /** posted this long after it */
  readonly delay: number;
  readonly serving: number;
  readonly home: number;
}

/** The usage record `g` stands for, as the ledger stores it, and when it was posted. */
export function storedRecord(
  ops: readonly string[],
  g: GeneratedRecord,
  i: number,
): { record: StoredUsageRecord; postedAt: number } {
  const postedAt = g.at + g.delay;
  const completedAt = new Date(g.at).toISOString();
  return {
    postedAt,
    record: {
      requestId: `r${i}`,
      recordId: `${postedAt}-${i}`,
      tenantId: `${ops[g.home]}-t`,
      homeOperator: ops[g.home]!,
      servingOperator: ops[g.serving]!,
      siteId: `${ops[g.serving]}-s`,
      jurisdiction: 'DE',
      model: 'm',
      inputTokens: 10,
      outputTokens: 20,
      currency: 'EUR',
      retailCharge: 1,
      wholesaleCharge: 1,
      policyVersion: 1,
      startedAt: completedAt,
      completedAt,
      failedAttempts: 0,
      flags: [],
    },
  };
}
