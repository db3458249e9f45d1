/**
 * Currency conversion for settlement. Rates are integers: units of the target currency per 1,000,000
 * units of the source ("rateMicros"), effective from a date. Conversion rounds half to even on the
 * integer result — the documented rule: no systematic drift either way across many lines.
 */
import { FederaError } from '@federa/domain';

export interface FxRate {
  readonly from: string;
  readonly to: string;
  /** target units per 1e6 source units */
  readonly rateMicros: number;
  readonly effectiveFrom: string;
  /** where the rate comes from (printed on statements); the registry's rates default to 'registry' */
  readonly source?: string;
}

export function roundHalfEvenDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  const r = n % d;
  const twice = 2n * (r < 0n ? -r : r);
  if (twice < d) return q;
  if (twice > d) return n < 0n ? q - 1n : q + 1n;
  return q % 2n === 0n ? q : n < 0n ? q - 1n : q + 1n;
}

export function convert(amount: number, rateMicros: number): number {
  return Number(roundHalfEvenDiv(BigInt(amount) * BigInt(rateMicros), 1_000_000n));
}

/** The rate in force at `atMs` (the latest that had started), or an identity for the same currency. */
export function rateAt(table: readonly FxRate[], from: string, to: string, atMs: number): FxRate {
  if (from === to)
    return { from, to, rateMicros: 1_000_000, effectiveFrom: '1970-01-01T00:00:00.000Z', source: 'identity' };
  let found: FxRate | undefined;
  for (const r of table) {
    if (r.from === from && r.to === to && Date.parse(r.effectiveFrom) <= atMs) {
      if (!found || Date.parse(r.effectiveFrom) >= Date.parse(found.effectiveFrom)) found = r;
    }
  }
  if (!found)
    throw new FederaError(
      'VALIDATION_FAILED',
      `no exchange rate ${from}→${to} in force at ${new Date(atMs).toISOString()}: add one (fx.add) and run the period again`,
    );
  return found;
}
