import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopologyIndex, parseTopology, priceUsage, type StoredUsageRecord } from '@federa/domain';
import { merkleRoot, proveInclusion, verifyInclusion } from './merkle';
import { compareStreamIds } from './archive/stream-ids';
import { convert, roundHalfEvenDiv } from './money';
import { byCodeUnits } from './records/read-order';
import { PeriodAggregator } from './period-aggregator';
import { buildStatements, periodOf, type SettleInput } from './statement';

const HOUR = 3_600_000;
const PERIOD = periodOf(Date.UTC(2026, 10, 27, 10, 30), HOUR);
const MODELS = ['m-a', 'm-b'];

interface Card {
  operator: string;
  model: string;
  from: number;
  inputPer1M: number;
  outputPer1M: number;
}

function world(ops: { id: string; currency: string }[], cards: Card[]) {
  const price = { inputPer1M: 1, outputPer1M: 1 };
  return new TopologyIndex(
    parseTopology({
      name: 'prop',
      operators: ops.map((o) => ({
        id: o.id,
        name: o.id,
        country: 'DE',
        currency: o.currency,
        rateCard: {},
      })),
      sites: ops.map((o) => ({
        id: `${o.id}-s`,
        operator: o.id,
        jurisdiction: 'DE',
        city: 'x',
        location: { lat: 0, lon: 0 },
        endpoint: 'http://127.0.0.1:1',
        models: MODELS.map((id) => ({ id, capacity: 1 })),
      })),
      tenants: ops.map((o) => ({
        id: `${o.id}-t`,
        name: 't',
        homeOperator: o.id,
        residency: ['ANY'],
        budget: 0,
        region: 'r',
        location: { lat: 0, lon: 0 },
      })),
      rateCards: [
        // every operator and model has a base card from the epoch…
        ...ops.flatMap((o) =>
          MODELS.map((model) => ({
            operator: o.id,
            model,
            effectiveFrom: '1970-01-01T00:00:00.000Z',
            retail: price,
            wholesale: { inputPer1M: 100_000, outputPer1M: 300_000 },
          })),
        ),
        // …and some change during the period
        ...cards.map((c) => ({
          operator: c.operator,
          model: c.model,
          effectiveFrom: new Date(c.from).toISOString(),
          retail: price,
          wholesale: { inputPer1M: c.inputPer1M, outputPer1M: c.outputPer1M },
        })),
      ],
    }),
  );
}

/** The reference: the card in force at the record's time, chosen without TopologyIndex. */
function expectedWholesale(cards: Card[], r: StoredUsageRecord): number {
  const at = Date.parse(r.completedAt);
  const inForce = cards
    .filter((c) => c.operator === r.servingOperator && c.model === r.model && c.from <= at)
    .sort((a, b) => a.from - b.from)
    .at(-1);
  const price = inForce ?? { inputPer1M: 100_000, outputPer1M: 300_000 };
  return priceUsage(price, r.inputTokens, r.outputTokens);
}

const arbitraries = fc
  .record({
    ops: fc.uniqueArray(fc.constantFrom('opa', 'opb', 'opc', 'opd', 'ope'), { minLength: 2, maxLength: 5 }),
    usd: fc.boolean(),
    usdRate: fc.integer({ min: 500_000, max: 1_500_000 }),
  })
  .chain(({ ops, usd, usdRate }) =>
    fc.record({
      ops: fc.constant(ops.map((id, i) => ({ id, currency: usd && i % 2 === 1 ? 'USD' : 'EUR' }))),
      usdRate: fc.constant(usdRate),
      cards: fc.array(
        fc.record({
          operator: fc.constantFrom(...ops),
          model: fc.constantFrom(...MODELS),
          from: fc.integer({ min: PERIOD.startMs, max: PERIOD.endMs }),
          inputPer1M: fc.integer({ min: 0, max: 5_000_000 }),
          outputPer1M: fc.integer({ min: 0, max: 5_000_000 }),
        }),
        { maxLength: 6 },
      ),
      records: fc.array(
        fc.record({
          home: fc.constantFrom(...ops),
          serving: fc.constantFrom(...ops),
          model: fc.constantFrom(...MODELS),
          at: fc.integer({ min: PERIOD.startMs, max: PERIOD.endMs - 1 }),
          inputTokens: fc.integer({ min: 0, max: 100_000 }),
          outputTokens: fc.integer({ min: 0, max: 100_000 }),
        }),
        { maxLength: 60 },
      ),
    }),
  );

function toRecords(g: {
  records: {
    home: string;
    serving: string;
    model: string;
    at: number;
    inputTokens: number;
    outputTokens: number;
  }[];
}): StoredUsageRecord[] {
  return g.records.map((r, i) => ({
    requestId: `r${i}`,
    tenantId: `${r.home}-t`,
    homeOperator: r.home,
    servingOperator: r.serving,
    siteId: `${r.serving}-s`,
    jurisdiction: 'DE',
    model: r.model,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    currency: 'EUR',
    retailCharge: 0,
    wholesaleCharge: 0,
    policyVersion: 1,
    startedAt: new Date(r.at).toISOString(),
    completedAt: new Date(r.at).toISOString(),
    failedAttempts: 0,
    flags: [],
    recordId: `${r.at}-${i}`,
  }));
}

function settle(
  g: { ops: { id: string; currency: string }[]; cards: Card[]; usdRate: number },
  records: StoredUsageRecord[],
) {
  const input: SettleInput = {
    federation: 'prop',
    period: PERIOD,
    graceMs: 60_000,
    periodMs: HOUR,
    settlementCurrency: 'EUR',
    fx: [
      { from: 'USD', to: 'EUR', rateMicros: g.usdRate, effectiveFrom: '2026-01-01T00:00:00.000Z' },
      // a USD payee sees its net in dollars too (version 2)
      { from: 'EUR', to: 'USD', rateMicros: 1_085_000, effectiveFrom: '2026-01-01T00:00:00.000Z' },
    ],
    topology: world(g.ops, g.cards),
  };
  const agg = new PeriodAggregator(input);
  for (const r of records) agg.add(r, Date.parse(r.completedAt) + 1000);
  const lines = agg.result();
  return { lines, statements: buildStatements(input, lines) };
}

describe('settlement', () => {
  it('lines sum to the records’ wholesale charges, home usage makes none, netting is antisymmetric', () => {
    fc.assert(
      fc.property(arbitraries, (g) => {
        const records = toRecords(g);
        const { lines, statements } = settle(g, records);
        const roaming = records.filter((r) => r.servingOperator !== r.homeOperator);

        // before netting, per creditor currency: lines = the records' wholesale charges
        expect(lines.reduce((s, l) => s + l.amount, 0)).toBe(
          roaming.reduce((s, r) => s + expectedWholesale(g.cards, r), 0),
        );
        expect(lines.reduce((s, l) => s + l.records, 0)).toBe(roaming.length);
        for (const l of lines) expect(l.creditor).not.toBe(l.debtor);

        for (const { payload } of statements) {
          const [a, b] = payload.parties;
          const owed = (d: string) => payload.owed.find((o) => o.debtor === d)!.amount;
          expect(owed(a) + owed(b)).toBe(payload.lines.reduce((s, l) => s + l.settledAmount, 0));
          // netting from either side gives the same amount with the opposite sign
          const netFromA = owed(a) - owed(b);
          const netFromB = owed(b) - owed(a);
          // (a sum, not toBe(-x): with nothing owed, -0 and 0 are the same amount of money)
          expect(netFromA + netFromB).toBe(0);
          expect(payload.net.amount).toBe(Math.abs(netFromA));
          if (netFromA !== 0) expect(payload.net.payer).toBe(netFromA > 0 ? a : b);
          for (const l of payload.lines) expect(new Set([l.creditor, l.debtor])).toEqual(new Set([a, b]));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('gives identical totals whatever order the records arrive in, and identical statements in read order', () => {
    const inReadOrder = (rs: StoredUsageRecord[]) =>
      [...rs].sort((x, y) => byCodeUnits(x.tenantId, y.tenantId) || compareStreamIds(x.recordId, y.recordId));
    const withoutRoots = (st: ReturnType<typeof settle>['statements']) =>
      JSON.stringify(st.map(({ payload }) => payload.lines.map((l) => ({ ...l, merkleRoot: '' }))));
    fc.assert(
      fc.property(arbitraries, fc.integer(), (g, seed) => {
        const records = toRecords(g);
        const shuffled = [...records].sort(
          (x, y) => ((x.inputTokens * 31 + seed) % 97) - ((y.inputTokens * 31 + seed) % 97),
        );
        expect(withoutRoots(settle(g, shuffled).statements)).toBe(
          withoutRoots(settle(g, records).statements),
        );
        // version 2: the Merkle roots commit to read order, which the engine always reads in
        expect(JSON.stringify(settle(g, inReadOrder(shuffled)).statements)).toBe(
          JSON.stringify(settle(g, inReadOrder(records)).statements),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('a line’s root is the Merkle root of its records’ references in read order (independently recomputable)', () => {
    fc.assert(
      fc.property(arbitraries, (g) => {
        const records = toRecords(g).sort(
          (x, y) => byCodeUnits(x.tenantId, y.tenantId) || compareStreamIds(x.recordId, y.recordId),
        );
        const { lines } = settle(g, records);
        for (const l of lines) {
          const refs = records
            .filter(
              (r) => r.servingOperator === l.creditor && r.homeOperator === l.debtor && r.model === l.model,
            )
            .map((r) => `${r.tenantId}/${r.recordId}`);
          expect(l.merkleRoot).toBe(merkleRoot(refs));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('rounds conversions half to even', () => {
    expect(roundHalfEvenDiv(5n, 2n)).toBe(2n);
    expect(roundHalfEvenDiv(7n, 2n)).toBe(4n);
    expect(roundHalfEvenDiv(-5n, 2n)).toBe(-2n);
    expect(convert(1_000_001, 500_000)).toBe(500_000); // 500000.5 → even
    expect(convert(1_000_003, 500_000)).toBe(500_002); // 500001.5 → even
  });

  it('proves a record’s inclusion in a line and refuses a forged proof', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 50 }),
        fc.nat(),
        (ids, pick) => {
          const sorted = [...ids].sort();
          const root = merkleRoot(sorted);
          const id = sorted[pick % sorted.length]!;
          const proof = proveInclusion(sorted, id)!;
          expect(verifyInclusion(proof, root)).toBe(true);
          expect(verifyInclusion({ ...proof, recordId: `${id}x` }, root)).toBe(false);
          if (proof.path.length > 0) {
            const [first, ...rest] = proof.path;
            const flipped = { ...first!, hash: first!.hash.replace(/^./, (c) => (c === '0' ? '1' : '0')) };
            expect(verifyInclusion({ ...proof, path: [flipped, ...rest] }, root)).toBe(false);
          }
        },
      ),
    );
    expect(proveInclusion(['a', 'b'], 'c')).toBeNull();
  });
});
