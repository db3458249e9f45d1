/**
 * Golden statements: a small deterministic federation's usage settled through the same pure path a
 * settlement run takes (classify, rate, aggregate, hash each line's Merkle tree in read order, add
 * dispute adjustments, convert, net, lay out), compared byte for byte with a fixture captured before
 * the aggregation was optimised. A statement is signed as `JSON.stringify(payload)`, so key order,
 * amounts and Merkle roots must all stay exactly as they were: any change to this output is a change
 * to what operators sign, never a refactoring. Update the fixture (`vitest -u`) only on purpose.
 *
 * The world covers every branch a record can take: usage, late usage (hourly and calendar-day
 * schedules), home usage, records of another run's window or of a pair on another schedule, a rate
 * card changing mid-period, currencies with 0, 2 and 3 minor digits and agreed currencies, flagged
 * site figures (one not a count), and dispute adjustments with and without their currency.
 */
import { describe, expect, it } from 'vitest';
import { TopologyIndex, parseTopology, type StoredUsageRecord } from '@federa/domain';
import { streamIdMs } from './archive/stream-ids';
import { ScheduleMembership, fixedSchedule, parsePeriodId, scheduleOf } from './calendar/schedule';
import { merkleRoot, proveInclusion } from './merkle';
import { MerkleBuilder } from './merkle-stream';
import { byCodeUnits } from './records/read-order';
import { PeriodAggregator } from './period-aggregator';
import { buildStatements, periodOf, type DisputeAdjustment, type Period } from './statement';

const HOUR = 3_600_000;
const GRACE = 60_000;
const MODELS = ['m-small', 'm-large'] as const;
const OPERATORS = [
  { id: 'op-a', currency: 'EUR' },
  { id: 'op-b', currency: 'USD' },
  { id: 'op-c', currency: 'JPY' },
  { id: 'op-d', currency: 'EUR' },
  { id: 'op-e', currency: 'KWD' },
] as const;
const HOURLY = periodOf(Date.UTC(2026, 10, 27, 10, 30), HOUR);

const topology = new TopologyIndex(
  parseTopology({
    name: 'golden',
    operators: OPERATORS.map((o, i) => ({
      id: o.id,
      name: o.id,
      country: 'DE',
      currency: o.currency,
      rateCard: Object.fromEntries(
        MODELS.map((m, k) => [
          m,
          {
            retail: { inputPer1M: 1, outputPer1M: 1 },
            wholesale: { inputPer1M: 120_000 + i * 1_337 + k * 50_000, outputPer1M: 360_000 + i * 7 },
          },
        ]),
      ),
    })),
    sites: OPERATORS.map((o) => ({
      id: `${o.id}-s`,
      operator: o.id,
      jurisdiction: 'DE',
      city: 'x',
      location: { lat: 0, lon: 0 },
      endpoint: 'http://127.0.0.1:1',
      models: MODELS.map((id) => ({ id, capacity: 1 })),
    })),
    tenants: OPERATORS.flatMap((o) =>
      ['t1', 't2'].map((t) => ({
        id: `${o.id}-${t}`,
        name: t,
        homeOperator: o.id,
        residency: ['ANY'],
        budget: 0,
        region: 'r',
        location: { lat: 0, lon: 0 },
      })),
    ),
    // op-b's large model gets dearer twenty minutes into the hourly period
    rateCards: [
      {
        operator: 'op-b',
        model: 'm-large',
        effectiveFrom: new Date(HOURLY.startMs + 20 * 60_000).toISOString(),
        retail: { inputPer1M: 1, outputPer1M: 1 },
        wholesale: { inputPer1M: 999_999, outputPer1M: 1_000_001 },
      },
    ],
    agreements: [
      { parties: ['op-a', 'op-b'], currency: 'USD', disputeWindowDays: 14, timeZone: 'Europe/Paris' },
      // settles by calendar day: outside the hourly runs, the only pair of the daily run
      { parties: ['op-c', 'op-d'], period: 'day', timeZone: 'Asia/Tokyo', currency: 'JPY' },
    ],
    fxRates: [
      { from: 'USD', to: 'EUR', rateMicros: 921_337, effectiveFrom: '2026-01-01T00:00:00.000Z' },
      { from: 'EUR', to: 'USD', rateMicros: 1_085_000, effectiveFrom: '2026-01-01T00:00:00.000Z' },
      { from: 'JPY', to: 'EUR', rateMicros: 6_123, effectiveFrom: '2026-01-01T00:00:00.000Z' },
      { from: 'EUR', to: 'JPY', rateMicros: 163_250_000, effectiveFrom: '2026-01-01T00:00:00.000Z' },
      { from: 'KWD', to: 'EUR', rateMicros: 2_987_654, effectiveFrom: '2026-01-01T00:00:00.000Z' },
      { from: 'EUR', to: 'KWD', rateMicros: 334_700, effectiveFrom: '2026-01-01T00:00:00.000Z' },
      { from: 'USD', to: 'JPY', rateMicros: 150_500_000, effectiveFrom: '2026-01-01T00:00:00.000Z' },
      { from: 'JPY', to: 'USD', rateMicros: 6_645, effectiveFrom: '2026-01-01T00:00:00.000Z' },
    ],
  }),
);

/** a fixed linear congruential sequence: the same records on every run and machine */
function sequence(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s % n;
  };
}

/**
 * `count` records of the period's run window: most in the period, some before it (late when posted
 * after the previous window closed, another run's otherwise), some after it; every seventh flagged.
 */
function recordsFor(period: Period, count: number, seed: number): StoredUsageRecord[] {
  const next = sequence(seed);
  const length = period.endMs - period.startMs;
  const records: StoredUsageRecord[] = [];
  for (let i = 0; i < count; i++) {
    const tenant = topology.topology.tenants[next(topology.topology.tenants.length)]!;
    const serving = OPERATORS[next(OPERATORS.length)]!.id;
    const where = next(20);
    // record time: in the period (0–15), before it (16–18), after its end but in grace (19)
    const atMs =
      where < 16
        ? period.startMs + next(length)
        : where < 19
          ? period.startMs - 1 - next(2 * HOUR)
          : period.endMs + next(GRACE);
    // posted: late ones either within the previous window's grace or after it
    const postedMs =
      where >= 16 && where < 19 ? period.startMs + next(2 * GRACE) : Math.max(atMs, period.startMs);
    const flagged = i % 7 === 3;
    const inputTokens = next(40_000);
    const outputTokens = next(9_000);
    records.push({
      requestId: `r${i}`,
      tenantId: tenant.id,
      homeOperator: tenant.homeOperator,
      servingOperator: serving,
      siteId: `${serving}-s`,
      jurisdiction: 'DE',
      model: MODELS[next(MODELS.length)]!,
      inputTokens,
      outputTokens,
      currency: 'EUR',
      retailCharge: 0,
      wholesaleCharge: 0,
      policyVersion: 1,
      startedAt: new Date(atMs - 500).toISOString(),
      completedAt: new Date(atMs).toISOString(),
      failedAttempts: 0,
      flags: flagged ? (i % 2 === 0 ? ['SITE_USAGE_DISPUTED'] : ['FAILOVER', 'OUTPUT_CLAMPED']) : [],
      ...(flagged
        ? {
            siteReported: {
              inputTokens: i % 3 === 0 ? -1 : inputTokens + 17,
              outputTokens: outputTokens + 3,
            },
          }
        : {}),
      recordId: `${postedMs}-${i}`,
    });
  }
  // read order, as the engine reads: tenants by id, then each stream in order
  return records.sort(
    (x, y) =>
      byCodeUnits(x.tenantId, y.tenantId) ||
      streamIdMs(x.recordId) - streamIdMs(y.recordId) ||
      Number(x.recordId.split('-')[1]) - Number(y.recordId.split('-')[1]),
  );
}

/** What `computeStatements` does with the records, without Redis. */
function settle(period: Period, records: readonly StoredUsageRecord[], adjustments: DisputeAdjustment[]) {
  const schedule = scheduleOf(period);
  const input = {
    federation: 'golden',
    period,
    graceMs: GRACE,
    settlementCurrency: 'EUR',
    fx: topology.topology.fxRates,
    topology,
    periodMs: HOUR,
    schedule,
    membership: new ScheduleMembership(topology, fixedSchedule(HOUR), schedule),
  };
  const agg = new PeriodAggregator(input);
  // each record's classification, one letter a record (usage, late-usage, home, outside)
  let classes = '';
  for (const record of records) classes += agg.add(record, streamIdMs(record.recordId))[0];
  for (const adj of adjustments) agg.addAdjustment(adj);
  const lines = agg.result();
  const siteDisputes = agg.siteDisputes();
  return {
    counts: agg.counts,
    classes,
    lines,
    siteDisputes,
    statements: buildStatements(input, lines, siteDisputes).map(({ payload }) => payload),
  };
}

const asFixture = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

describe('golden statements (byte-identical across refactorings)', () => {
  it('settles an hourly period with late usage, agreements, disputes and adjustments as captured', async () => {
    const settled = settle(HOURLY, recordsFor(HOURLY, 1_500, 42), [
      {
        statementId: 'x/op-a~op-c',
        originalPeriod: '2026-11-27T08:00:00.000Z',
        creditor: 'op-a',
        debtor: 'op-c',
        amount: 12_345_678,
        currency: 'EUR',
      },
      // resolved before version 2: no currency, the settlement currency applies
      {
        statementId: 'y/op-b~op-e',
        originalPeriod: '2026-11-27T07:00:00.000Z',
        creditor: 'op-e',
        debtor: 'op-b',
        amount: 70_000,
      },
    ]);
    expect(settled.counts.usage).toBeGreaterThan(0);
    expect(settled.counts.lateUsage).toBeGreaterThan(0);
    expect(settled.counts.outside).toBeGreaterThan(0);
    await expect(asFixture(settled)).toMatchFileSnapshot('./golden/hourly-statements.json');
  });

  it('settles a calendar day of the one pair that agreed on days as captured', async () => {
    const day = parsePeriodId('2026-11-27@Asia/Tokyo', HOUR);
    const settled = settle(day, recordsFor(day, 1_500, 7), []);
    expect(settled.counts.lateUsage).toBeGreaterThan(0);
    await expect(asFixture(settled)).toMatchFileSnapshot('./golden/daily-statements.json');
  });

  it('keeps Merkle roots and proofs of UTF-8 references, at sizes around powers of two, as captured', async () => {
    const refs = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        i % 5 === 4 ? `tenant-é€😀-${i}/${i}-1` : `t-${i % 3}/${1000 + i}-${i}`,
      );
    const sizes = [0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 32, 33, 100, 257];
    const roots = sizes.map((n) => {
      const builder = new MerkleBuilder();
      for (const ref of refs(n)) builder.add(ref);
      return { n, streamed: builder.root(), inMemory: merkleRoot(refs(n)) };
    });
    const prover = new MerkleBuilder(41);
    for (const ref of refs(100)) prover.add(ref);
    const proofs = { streamed: prover.proof(), inMemory: proveInclusion(refs(100), refs(100)[44]!) };
    await expect(asFixture({ roots, proofs })).toMatchFileSnapshot('./golden/merkle-roots.json');
  });
});
