/**
 * The money rules of settlement (docs/settlement.md, "Currencies"): each settled amount is a whole
 * minor unit of the settlement currency, rounded half to even, and the lines of one source currency
 * and direction sum exactly to the rounded conversion of their total (the remainder is carried).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FxRate } from '../money';
import { convertToMinorUnits, settleAmounts } from './settle-amounts';
import { minorUnitMicros } from './minor-units';

const CURRENCIES = ['EUR', 'SEK', 'USD', 'JPY'] as const;
const rateTable =
  (rates: Record<string, number>) =>
  (from: string): FxRate => ({
    from,
    to: 'x',
    rateMicros: rates[from]!,
    effectiveFrom: '2026-01-01T00:00:00.000Z',
  });

/** exact rational half-to-even, independently of the implementation: n / d */
function halfEven(n: bigint, d: bigint): bigint {
  const q = n / d;
  const r = n - q * d; // n, d ≥ 0 here
  if (2n * r < d) return q;
  if (2n * r > d) return q + 1n;
  return q % 2n === 0n ? q : q + 1n;
}

const line = fc.record({
  amount: fc.integer({ min: 0, max: 5_000_000_000 }),
  currency: fc.constantFrom(...CURRENCIES),
  debtor: fc.constantFrom('a', 'b'),
});
const rates = fc.record({
  EUR: fc.integer({ min: 1, max: 200_000_000 }),
  SEK: fc.integer({ min: 1, max: 200_000_000 }),
  USD: fc.integer({ min: 1, max: 200_000_000 }),
  JPY: fc.integer({ min: 1, max: 200_000_000 }),
});

describe('settled amounts', () => {
  it('are whole minor units and sum exactly to the conversion of each group’s total', () => {
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 40 }),
        rates,
        fc.constantFrom(...CURRENCIES),
        (lines, r, to) => {
          const settled = settleAmounts(lines, to, rateTable(r));
          const step = minorUnitMicros(to);
          for (const s of settled) expect(s % step).toBe(0); // whole cents, öre or yen
          for (const c of CURRENCIES)
            for (const d of ['a', 'b']) {
              const idx = lines.flatMap((l, i) => (l.currency === c && l.debtor === d ? [i] : []));
              const total = idx.reduce((s, i) => s + lines[i]!.amount, 0);
              const sum = idx.reduce((s, i) => s + settled[i]!, 0);
              expect(sum).toBe(convertToMinorUnits(total, r[c], to));
            }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round half to even on the minor unit, never further than half a unit from the exact value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 12 }),
        fc.integer({ min: 1, max: 10 ** 9 }),
        fc.constantFrom(...CURRENCIES),
        (amount, rate, to) => {
          const step = BigInt(minorUnitMicros(to));
          const expected = halfEven(BigInt(amount) * BigInt(rate), 1_000_000n * step) * step;
          expect(convertToMinorUnits(amount, rate, to)).toBe(Number(expected));
        },
      ),
      { numRuns: 500 },
    );
    // exact halves go to the even minor unit: 0.005 EUR → 0.00, 0.015 → 0.02; 0.5 JPY → 0, 1.5 → 2
    expect(convertToMinorUnits(5_000, 1_000_000, 'EUR')).toBe(0);
    expect(convertToMinorUnits(15_000, 1_000_000, 'EUR')).toBe(20_000);
    expect(convertToMinorUnits(500_000, 1_000_000, 'JPY')).toBe(0);
    expect(convertToMinorUnits(1_500_000, 1_000_000, 'JPY')).toBe(2_000_000);
  });

  it('carries the remainder: three thirds of a cent settle as one cent, not zero', () => {
    const third = { amount: 3_333, currency: 'EUR', debtor: 'a' };
    const r = rateTable({ EUR: 1_000_000 });
    expect(settleAmounts([third, third, third], 'EUR', r)).toEqual([0, 10_000, 0]);
    // each rounded alone would lose the cent
    expect(convertToMinorUnits(3_333, 1_000_000, 'EUR') * 3).toBe(0);
  });
});
