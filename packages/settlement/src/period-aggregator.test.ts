/**
 * The aggregator keeps per-pair state to spare each record work; the derivation of a line's records
 * (records/statement-records.ts) uses the record-by-record definitions instead (`classify`,
 * `lineKeyOf`). Both must agree on every record, or a signed line could not be derived again: checked
 * here over generated records of pairs in and out of the run's schedule, home usage, late usage and
 * rate cards changing mid-period.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopologyIndex, parseTopology, priceUsage, type StoredUsageRecord } from '@federa/domain';
import { ScheduleMembership, fixedSchedule } from './calendar/schedule';
import { merkleRoot } from './merkle';
import { PeriodAggregator } from './period-aggregator';
import { byCodeUnits } from './records/read-order';
import { classify, lineKeyOf, periodOf, statementLineKey, type SettleInput } from './statement';

const HOUR = 3_600_000;
const GRACE = 60_000;
const OPS = ['op-a', 'op-b', 'op-c'];
const MODELS = ['m-1', 'm-2'];
const PERIOD = periodOf(Date.UTC(2027, 4, 3, 9), HOUR);

function federation(cardChanges: { operator: number; model: number; atMs: number; price: number }[]) {
  const price = (p: number) => ({ inputPer1M: p, outputPer1M: 3 * p });
  return new TopologyIndex(
    parseTopology({
      name: 'aggregator',
      operators: OPS.map((id, i) => ({
        id,
        name: id,
        country: 'DE',
        currency: i === 1 ? 'USD' : 'EUR',
        rateCard: Object.fromEntries(MODELS.map((m) => [m, { retail: price(1), wholesale: price(100_000) }])),
      })),
      sites: OPS.map((id) => ({
        id: `${id}-s`,
        operator: id,
        jurisdiction: 'DE',
        city: 'x',
        location: { lat: 0, lon: 0 },
        endpoint: 'http://127.0.0.1:1',
        models: MODELS.map((m) => ({ id: m, capacity: 1 })),
      })),
      tenants: OPS.flatMap((id) =>
        ['x', 'y'].map((t) => ({
          id: `${id}-${t}`,
          name: t,
          homeOperator: id,
          residency: ['ANY'],
          budget: 0,
          region: 'r',
          location: { lat: 0, lon: 0 },
        })),
      ),
      rateCards: cardChanges.map((c) => ({
        operator: OPS[c.operator]!,
        model: MODELS[c.model]!,
        effectiveFrom: new Date(c.atMs).toISOString(),
        retail: price(1),
        wholesale: price(c.price),
      })),
      // this pair settles by calendar day: its records are outside the hourly run
      agreements: [{ parties: ['op-a', 'op-c'], period: 'day' }],
    }),
  );
}

const generated = fc.record({
  cardChanges: fc.array(
    fc.record({
      operator: fc.nat(OPS.length - 1),
      model: fc.nat(MODELS.length - 1),
      atMs: fc.integer({ min: PERIOD.startMs - 2 * HOUR, max: PERIOD.endMs }),
      price: fc.integer({ min: 0, max: 3_000_000 }),
    }),
    { maxLength: 4 },
  ),
  records: fc.array(
    fc.record({
      tenant: fc.nat(2 * OPS.length - 1),
      serving: fc.nat(OPS.length - 1),
      model: fc.nat(MODELS.length - 1),
      atMs: fc.integer({ min: PERIOD.startMs - 2 * HOUR, max: PERIOD.endMs + GRACE - 1 }),
      postDelayMs: fc.integer({ min: 0, max: 2 * HOUR }),
      inputTokens: fc.nat(50_000),
      outputTokens: fc.nat(5_000),
    }),
    { maxLength: 120 },
  ),
});

describe('PeriodAggregator', () => {
  it('counts every record where classify and lineKeyOf put it, priced and hashed in read order', () => {
    fc.assert(
      fc.property(generated, ({ cardChanges, records: gen }) => {
        const topology = federation(cardChanges);
        const schedule = fixedSchedule(HOUR);
        const input: SettleInput = {
          federation: 'f',
          period: PERIOD,
          graceMs: GRACE,
          settlementCurrency: 'EUR',
          fx: [],
          topology,
          periodMs: HOUR,
          schedule,
          membership: new ScheduleMembership(topology, schedule, schedule),
        };
        const tenants = topology.topology.tenants;
        const records: { record: StoredUsageRecord; postedMs: number }[] = gen
          .map((g, i) => {
            const tenant = tenants[g.tenant]!;
            const postedMs = g.atMs + g.postDelayMs;
            return {
              postedMs,
              record: {
                requestId: `r${i}`,
                tenantId: tenant.id,
                homeOperator: tenant.homeOperator,
                servingOperator: OPS[g.serving]!,
                siteId: `${OPS[g.serving]!}-s`,
                jurisdiction: 'DE',
                model: MODELS[g.model]!,
                inputTokens: g.inputTokens,
                outputTokens: g.outputTokens,
                currency: 'EUR',
                retailCharge: 0,
                wholesaleCharge: 0,
                policyVersion: 1,
                startedAt: new Date(g.atMs).toISOString(),
                completedAt: new Date(g.atMs).toISOString(),
                failedAttempts: 0,
                flags: [],
                recordId: `${postedMs}-${i}`,
              },
            };
          })
          .sort(
            (x, y) =>
              byCodeUnits(x.record.tenantId, y.record.tenantId) ||
              x.postedMs - y.postedMs ||
              x.record.requestId.localeCompare(y.record.requestId),
          );

        const agg = new PeriodAggregator(input);
        const expected = new Map<
          string,
          { records: number; tokens: number; amount: number; refs: string[] }
        >();
        for (const { record, postedMs } of records) {
          const kind = classify(input, record, postedMs);
          expect(agg.add(record, postedMs)).toBe(kind);
          if (kind !== 'usage' && kind !== 'late-usage') continue;
          const atMs = Date.parse(record.completedAt);
          const { key } = lineKeyOf(input, record, kind, atMs);
          const line = expected.get(key) ?? { records: 0, tokens: 0, amount: 0, refs: [] };
          line.records++;
          line.tokens += record.inputTokens + record.outputTokens;
          line.amount += priceUsage(
            topology.rateAt(record.servingOperator, record.model, atMs)!.wholesale,
            record.inputTokens,
            record.outputTokens,
          );
          line.refs.push(`${record.tenantId}/${record.recordId}`);
          expected.set(key, line);
        }

        const lines = agg.result();
        expect(lines.length).toBe(expected.size);
        for (const l of lines) {
          const e = expected.get(statementLineKey(l))!;
          expect(l.records).toBe(e.records);
          expect(l.inputTokens + l.outputTokens).toBe(e.tokens);
          expect(l.amount).toBe(e.amount);
          expect(l.merkleRoot).toBe(merkleRoot(e.refs));
          expect(l.currency).toBe(topology.operator(l.creditor).currency);
        }
        const counted = agg.counts.usage + agg.counts.lateUsage + agg.counts.home + agg.counts.outside;
        expect(counted).toBe(records.length);
      }),
      { numRuns: 300 },
    );
  });
});
