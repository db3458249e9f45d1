import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { streamIdMs, streamIdParts } from './stream-ids';

describe('streamIdMs', () => {
  it('is the milliseconds part of a stream id', () => {
    expect(streamIdMs('1764000000123-7')).toBe(1_764_000_000_123);
    expect(streamIdMs('0-0')).toBe(0);
    expect(streamIdMs('18446744073709551615-0')).toBe(Number('18446744073709551615'));
  });

  it('agrees with splitting the id, whatever the id', () => {
    const digits = fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 22 });
    const idLike = fc.tuple(digits, fc.constantFrom('-', ''), digits).map(([a, d, b]) => a + d + b);
    const odd = fc.string({ unit: fc.constantFrom(...'0123456789-+. eExa'), maxLength: 24 });
    fc.assert(
      fc.property(fc.oneof(idLike, odd, fc.string()), (id) => {
        expect(streamIdMs(id)).toBe(streamIdParts(id)[0]);
      }),
      { numRuns: 5000 },
    );
  });
});
