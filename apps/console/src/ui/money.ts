/** Federa's money is integer micro-units (1 EUR = 1,000,000); shown with the currency's symbol. */
export const MICROS_PER_UNIT = 1_000_000;

export function formatMoney(micros: number, currency: string): string {
  const units = micros / MICROS_PER_UNIT;
  const minor = minorDigits(currency);
  // a charge under one minor unit (a request costs fractions of a cent) keeps its significant digits
  const digits = Math.abs(units) > 0 && Math.abs(units) < 10 ** -minor ? 6 : minor;
  try {
    return new Intl.NumberFormat('en', {
      style: 'currency',
      currency,
      minimumFractionDigits: minor,
      maximumFractionDigits: digits,
    }).format(units);
  } catch {
    return `${units.toFixed(digits)} ${currency}`;
  }
}

/**
 * The currency's minor-unit digits as ICU knows them (EUR 2, JPY 0, BHD 3): the same ICU lookup as
 * settlement's `minorUnitExponent`, so a settled yen amount shows no decimals. Not imported from
 * `@federa/settlement`: its entry point brings the server side (Redis, signing) into the browser bundle.
 * Cached per currency, since tables format many cells and each lookup builds a formatter.
 */
const minorDigitsByCurrency = new Map<string, number>();

function minorDigits(currency: string): number {
  let digits = minorDigitsByCurrency.get(currency);
  if (digits === undefined) {
    try {
      digits =
        new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
          .maximumFractionDigits ?? 2;
    } catch {
      digits = 2; // not an ISO code ICU knows: show cents, as before
    }
    minorDigitsByCurrency.set(currency, digits);
  }
  return digits;
}

/** Parse a money amount typed in units ("12.50") into integer micro-units; undefined if not one. */
export function parseMoney(text: string): number | undefined {
  const m = /^\s*(\d{1,12})(?:\.(\d{1,6}))?\s*$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * MICROS_PER_UNIT + Number((m[2] ?? '').padEnd(6, '0'));
}

/** Micro-units as the units text `parseMoney` reads back, exact ("12.5", not "12.500000"). */
export function unitsText(micros: number): string {
  const whole = Math.floor(micros / MICROS_PER_UNIT);
  const frac = String(micros % MICROS_PER_UNIT)
    .padStart(6, '0')
    .replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : String(whole);
}
