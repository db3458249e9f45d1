import { describe, expect, it } from 'vitest';
import { minorUnitExponent, minorUnitMicros } from './minor-units';

describe('minor units (ISO 4217 exponents from ICU)', () => {
  it('knows cents, öre and whole yen', () => {
    expect(['EUR', 'SEK', 'USD', 'JPY', 'BHD'].map(minorUnitExponent)).toEqual([2, 2, 2, 0, 3]);
    expect(minorUnitMicros('EUR')).toBe(10_000);
    expect(minorUnitMicros('JPY')).toBe(1_000_000);
    expect(minorUnitMicros('BHD')).toBe(1_000);
  });
});
