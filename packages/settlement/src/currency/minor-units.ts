/**
 * Minor units of a currency (ISO 4217's exponent: 2 for EUR, SEK and USD, 0 for JPY, 3 for BHD),
 * taken from the runtime's ICU data rather than a table of our own, so a currency ICU knows is never
 * settled to a finer unit than it is paid in. Money stays integer micro-units everywhere (1 unit =
 * 1,000,000); a settled amount is a whole number of minor units, i.e. a multiple of `minorUnitMicros`.
 */
import { MICROS_PER_UNIT } from '@federa/domain';

const MICRO_DIGITS = Math.log10(MICROS_PER_UNIT);
const exponents = new Map<string, number>();

/** ISO 4217 exponent of `currency` (digits after the decimal point), from ICU. */
export function minorUnitExponent(currency: string): number {
  let e = exponents.get(currency);
  if (e === undefined) {
    e =
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
      2;
    // a micro-unit is the finest amount money can hold here: no currency is settled finer
    e = Math.min(e, MICRO_DIGITS);
    exponents.set(currency, e);
  }
  return e;
}

/** micro-units in one minor unit of `currency`: 10,000 for EUR (a cent), 1,000,000 for JPY (a yen) */
export function minorUnitMicros(currency: string): number {
  return 10 ** (MICRO_DIGITS - minorUnitExponent(currency));
}
