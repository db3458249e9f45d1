import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chargeFor, formatMinor, priceUsage } from './money';

describe('money', () => {
  it('rounds a charge up to a whole minor unit', () => {
    expect(chargeFor(1, 200_000)).toBe(1); // 0.2 → 1
    expect(chargeFor(5, 200_000)).toBe(1); // exactly 1
    expect(chargeFor(6, 200_000)).toBe(2); // 1.2 → 2
    expect(chargeFor(0, 200_000)).toBe(0);
    expect(chargeFor(1_000_000, 600_000)).toBe(600_000);
  });

  it('is the exact ceiling of tokens × price / 1e6 and never undercharges', () => {
    fc.assert(
      fc.property(fc.nat({ max: 10_000_000 }), fc.nat({ max: 1_000_000_000 }), (tokens, price) => {
        const c = chargeFor(tokens, price);
        const exact = BigInt(tokens) * BigInt(price);
        expect(BigInt(c) * 1_000_000n >= exact).toBe(true);
        expect((BigInt(c) - 1n) * 1_000_000n < exact || c === 0).toBe(true);
      }),
    );
  });

  it('is monotonic in tokens, so the hold for max_tokens always covers the actual usage', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 100_000 }),
        fc.nat({ max: 100_000 }),
        fc.nat({ max: 100_000 }),
        fc.record({ inputPer1M: fc.nat({ max: 50_000_000 }), outputPer1M: fc.nat({ max: 50_000_000 }) }),
        (input, actualOut, extra, price) => {
          expect(priceUsage(price, input, actualOut)).toBeLessThanOrEqual(
            priceUsage(price, input, actualOut + extra),
          );
        },
      ),
    );
  });

  it('refuses non-integer or negative amounts', () => {
    expect(() => chargeFor(1.5, 10)).toThrow(/safe integer/);
    expect(() => chargeFor(-1, 10)).toThrow(/safe integer/);
    expect(() => chargeFor(1, Number.NaN)).toThrow(/safe integer/);
  });

  it('formats minor units for people', () => {
    expect(formatMinor(1_234_567, 'EUR')).toBe('1.234567 EUR');
    expect(formatMinor(-5, 'EUR')).toBe('-0.000005 EUR');
  });
});
