/**
 * Statements of a federation with EUR, SEK, USD and JPY operators, some pairs settling in an agreed
 * currency: amounts in whole minor units, sums exact, netting antisymmetric, the payee's own-currency
 * net, effective-dated rates, and a loud error for a missing rate.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopologyIndex, parseTopology } from '@federa/domain';
import { EMPTY_ROOT } from '../merkle';
import { buildStatements, periodOf, type Line, type SettleInput } from '../statement';
import { minorUnitMicros } from './minor-units';
import { convertToMinorUnits } from './settle-amounts';

const HOUR = 3_600_000;
const PERIOD = periodOf(Date.UTC(2026, 10, 27, 10, 30), HOUR);
const OPS = [
  { id: 'eur-op', currency: 'EUR' },
  { id: 'jpy-op', currency: 'JPY' },
  { id: 'sek-op', currency: 'SEK' },
  { id: 'usd-op', currency: 'USD' },
] as const;
const CURRENCY_OF = Object.fromEntries(OPS.map((o) => [o.id, o.currency])) as Record<string, string>;

const PRICE = { inputPer1M: 1, outputPer1M: 1 };
const topology = new TopologyIndex(
  parseTopology({
    name: 'fx',
    operators: OPS.map((o) => ({
      id: o.id,
      name: o.id,
      country: 'DE',
      currency: o.currency,
      rateCard: { 'm-a': { retail: PRICE, wholesale: PRICE } },
    })),
    sites: OPS.map((o) => ({
      id: `${o.id}-s`,
      operator: o.id,
      jurisdiction: 'DE',
      city: 'x',
      location: { lat: 0, lon: 0 },
      endpoint: 'http://127.0.0.1:1',
      models: [{ id: 'm-a', capacity: 1 }],
    })),
    tenants: OPS.map((o) => ({
      id: `${o.id}-t`,
      name: 't',
      homeOperator: o.id,
      residency: ['ANY'],
      budget: 0,
      region: 'r',
      location: { lat: 0, lon: 0 },
    })),
    agreements: [
      { parties: ['eur-op', 'jpy-op'], currency: 'JPY' },
      { parties: ['usd-op', 'sek-op'], currency: 'USD', disputeWindowDays: 10, timeZone: 'Europe/Stockholm' },
    ],
  }),
);

/** units of `to` per unit of `from`, as integers per 1e6; an old rate, and the one in force */
const PER_EUR: Record<string, number> = { EUR: 1_000_000, SEK: 11_250_000, USD: 1_085_000, JPY: 163_400_000 };
const rate = (from: string, to: string) => Math.round((PER_EUR[to]! * 1_000_000) / PER_EUR[from]!);
const FX = Object.keys(PER_EUR).flatMap((from) =>
  Object.keys(PER_EUR)
    .filter((to) => to !== from)
    .flatMap((to) => [
      { from, to, rateMicros: rate(from, to) + 7, effectiveFrom: '2026-01-01T00:00:00.000Z', source: 'old' },
      // takes effect within the period: in force at its end, so it is the one used
      {
        from,
        to,
        rateMicros: rate(from, to),
        effectiveFrom: new Date(PERIOD.startMs + 60_000).toISOString(),
        source: 'ECB',
      },
      // after the period: not used
      { from, to, rateMicros: 1, effectiveFrom: new Date(PERIOD.endMs + 1).toISOString(), source: 'future' },
    ]),
);

const input: SettleInput = {
  federation: 'fx',
  period: PERIOD,
  graceMs: 60_000,
  periodMs: HOUR,
  settlementCurrency: 'EUR',
  fx: FX,
  topology,
};

const lineArb = fc
  .record({
    pair: fc.constantFrom(
      ...OPS.flatMap((a) => OPS.filter((b) => b.id !== a.id).map((b) => [a.id, b.id] as const)),
    ),
    model: fc.constantFrom('m-a', 'm-b'),
    amount: fc.integer({ min: 0, max: 3_000_000_000 }),
  })
  .map(({ pair: [creditor, debtor], model, amount }): Line => ({
    kind: 'usage',
    creditor,
    debtor,
    model,
    originalPeriod: null,
    records: 1,
    inputTokens: 1,
    outputTokens: 1,
    amount,
    currency: CURRENCY_OF[creditor]!,
    merkleRoot: EMPTY_ROOT,
    reference: null,
  }));
/** one line per (creditor, debtor, model), as the aggregator makes them */
const linesArb = fc.uniqueArray(lineArb, {
  selector: (l) => `${l.creditor}|${l.debtor}|${l.model}`,
  maxLength: 24,
});

describe('statements in several currencies', () => {
  it('settle each pair in its agreed currency, in whole minor units, with exact sums', () => {
    fc.assert(
      fc.property(linesArb, (lines) => {
        for (const { payload } of buildStatements(input, lines)) {
          const [a, b] = payload.parties;
          const agreed = topology.agreement(a, b)?.currency ?? 'EUR';
          expect(payload.version).toBe(2);
          expect(payload.settlementCurrency).toBe(agreed);
          const step = minorUnitMicros(agreed);
          for (const l of payload.lines) {
            expect(l.settledAmount % step).toBe(0); // whole yen for eur~jpy
            expect(l.currency).toBe(CURRENCY_OF[l.creditor]);
            expect(l.fx.source).toBe(l.currency === agreed ? 'identity' : 'ECB');
          }
          for (const { debtor, amount } of payload.owed) {
            const own = payload.lines.filter((l) => l.debtor === debtor);
            // owed = the conversion of the total per source currency, each rounded once
            const expected = [...new Set(own.map((l) => l.currency))].reduce((sum, c) => {
              const total = own.filter((l) => l.currency === c).reduce((s, l) => s + l.amount, 0);
              const r = c === agreed ? 1_000_000 : rate(c, agreed);
              return sum + convertToMinorUnits(total, r, agreed);
            }, 0);
            expect(amount).toBe(expected);
            expect(amount).toBe(own.reduce((s, l) => s + l.settledAmount, 0));
          }
          const net = payload.net;
          if (net.payee === null) expect(payload.netInPayeeCurrency).toBeNull();
          else {
            const to = CURRENCY_OF[net.payee]!;
            const r = to === agreed ? 1_000_000 : rate(agreed, to);
            expect(payload.netInPayeeCurrency).toMatchObject({
              currency: to,
              amount: convertToMinorUnits(net.amount, r, to),
              fx: { rateMicros: r },
            });
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('nets antisymmetrically: swapping every line’s parties swaps payer and payee, same amount', () => {
    fc.assert(
      fc.property(linesArb, (lines) => {
        const swapped = lines.map((l) => ({
          ...l,
          creditor: l.debtor,
          debtor: l.creditor,
        }));
        const before = buildStatements(input, lines);
        const after = buildStatements(input, swapped);
        expect(after.map((s) => s.payload.statementId)).toEqual(before.map((s) => s.payload.statementId));
        for (const [i, { payload }] of before.entries()) {
          const mirror = after[i]!.payload;
          expect(mirror.net).toEqual({
            payer: payload.net.payee,
            payee: payload.net.payer,
            amount: payload.net.amount,
          });
        }
      }),
      { numRuns: 200 },
    );
  });

  it('prints the dispute deadline from the agreement (30 days in UTC by default)', () => {
    const [line] = fc.sample(lineArb, { numRuns: 1, seed: 1 });
    const closedAt = new Date(PERIOD.endMs + 60_000).toISOString();
    const usdSek = { ...line!, creditor: 'sek-op', debtor: 'usd-op', currency: 'SEK' };
    const eurSek = { ...line!, creditor: 'sek-op', debtor: 'eur-op', currency: 'SEK' };
    const [a, b] = buildStatements(input, [eurSek, usdSek]);
    expect(a!.payload.closedAt).toBe(closedAt);
    expect(a!.payload.disputeDeadline).toBe(new Date(PERIOD.endMs + 60_000 + 30 * 86_400_000).toISOString());
    expect(b!.payload.disputeDeadline).toBe(new Date(PERIOD.endMs + 60_000 + 10 * 86_400_000).toISOString());
  });

  it('fails loudly, naming the pair and the date, when a rate is missing', () => {
    const line: Line = {
      kind: 'usage',
      creditor: 'sek-op',
      debtor: 'eur-op',
      model: 'm-a',
      originalPeriod: null,
      records: 1,
      inputTokens: 1,
      outputTokens: 1,
      amount: 1_000_000,
      currency: 'SEK',
      merkleRoot: EMPTY_ROOT,
      reference: null,
    };
    expect(() => buildStatements({ ...input, fx: [] }, [line])).toThrow(
      `no exchange rate SEK→EUR in force at ${new Date(PERIOD.endMs).toISOString()}`,
    );
  });
});
