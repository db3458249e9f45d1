import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { priceUsage } from '@federa/domain';
import { wholesaleCharge } from './wholesale-price';

const both = (p: { inputPer1M: number; outputPer1M: number }, i: number, o: number) => {
  let expected: number | Error;
  try {
    expected = priceUsage(p, i, o);
  } catch (err) {
    expected = err as Error;
  }
  if (expected instanceof Error) expect(() => wholesaleCharge(p, i, o)).toThrow(expected.message);
  else expect(wholesaleCharge(p, i, o)).toBe(expected);
};

describe('wholesaleCharge', () => {
  it('equals priceUsage for realistic token counts and prices', () => {
    fc.assert(
      fc.property(
        fc.nat(10_000_000),
        fc.nat(10_000_000),
        fc.nat(100_000_000),
        fc.nat(100_000_000),
        (i, o, pi, po) => both({ inputPer1M: pi, outputPer1M: po }, i, o),
      ),
      { numRuns: 2000 },
    );
  });

  it('equals priceUsage at the edges: exact multiples, one past, products beyond 2^53, bad input', () => {
    const n = fc.oneof(
      fc.constantFrom(0, 1, 999_999, 1_000_000, 1_000_001, Number.MAX_SAFE_INTEGER, -1, 0.5, 2 ** 53),
      fc.nat(),
      fc.maxSafeNat(),
    );
    fc.assert(
      fc.property(n, n, n, n, (i, o, pi, po) => both({ inputPer1M: pi, outputPer1M: po }, i, o)),
      { numRuns: 3000 },
    );
  });
});
