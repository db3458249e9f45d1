import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MICROS_PER_UNIT, formatMoney, parseMoney, unitsText } from './money';

describe('console money', () => {
  it('parses units into integer micro-units', () => {
    expect(parseMoney('12.5')).toBe(12_500_000);
    expect(parseMoney(' 0.000001 ')).toBe(1);
    expect(parseMoney('3')).toBe(3 * MICROS_PER_UNIT);
  });

  it('refuses what is not a non-negative amount with at most six decimals', () => {
    for (const bad of ['', '-1', '1.2345678', '1e3', '1,5', 'abc', '0x10', '1.'])
      expect(parseMoney(bad)).toBeUndefined();
  });

  it('round-trips any micro amount through its decimal text', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 15 }), (micros) => {
        const text = `${Math.floor(micros / MICROS_PER_UNIT)}.${String(micros % MICROS_PER_UNIT).padStart(6, '0')}`;
        expect(parseMoney(text)).toBe(micros);
        expect(Number.isSafeInteger(parseMoney(text))).toBe(true);
      }),
    );
  });

  it('shows micro-units as units text without trailing zeros', () => {
    expect(unitsText(0)).toBe('0');
    expect(unitsText(1_000_001)).toBe('1.000001');
    expect(unitsText(250_000)).toBe('0.25');
  });

  it('formats with the currency, keeping the digits of sub-cent charges', () => {
    expect(formatMoney(12_500_000, 'EUR')).toBe('€12.50');
    expect(formatMoney(1_234, 'EUR')).toBe('€0.001234');
    expect(formatMoney(0, 'USD')).toBe('$0.00');
  });

  it("shows each currency's own minor units: none for yen, three for dinar", () => {
    expect(formatMoney(1_500 * MICROS_PER_UNIT, 'JPY')).toBe('¥1,500');
    expect(formatMoney(250_000, 'JPY')).toBe('¥0.25');
    expect(formatMoney(1_234_500, 'BHD')).toBe('BHD\u00a01.235');
    expect(formatMoney(12_500_000, 'SEK')).toBe('SEK\u00a012.50');
  });
});
