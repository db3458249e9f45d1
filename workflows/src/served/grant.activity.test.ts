import { describe, expect, it } from 'vitest';
import { priceUsage } from '@federa/domain';
import { slicePrice } from './grant.activity';

describe('slice price', () => {
  const price = { inputPer1M: 150_000, outputPer1M: 600_000 };

  it('makes the extended hold exactly the hold for the larger grant, whatever the rounding', () => {
    let granted = 7;
    let held = priceUsage(price, 13, granted);
    for (const slice of [3, 1, 11, 1_024, 5]) {
      held += slicePrice(price, 13, granted, slice);
      granted += slice;
      expect(held).toBe(priceUsage(price, 13, granted));
    }
  });
});
