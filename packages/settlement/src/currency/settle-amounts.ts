/**
 * Converting a statement's lines into its settlement currency, in whole minor units.
 *
 * The rule (docs/settlement.md, "Currencies"): a line's amount is in its creditor's currency; it is
 * converted with the rate printed on the line and rounded half to even to a whole minor unit of the
 * settlement currency. Rounding each line on its own would let the lines drift from the conversion
 * of their total (a thousand lines each a third of a cent off), so the remainder is carried: within
 * one statement, the lines of one source currency owed in one direction (same debtor) are converted
 * as a running total, and each line settles the difference between the rounded running total after
 * it and before it. The lines of such a group therefore sum exactly to the rounded conversion of the
 * group's total, whatever their number, and owed/net follow exactly from the lines.
 */
import { roundHalfEvenDiv, type FxRate } from '../money';
import { minorUnitMicros } from './minor-units';

const MICROS = 1_000_000n;

/** `amount` (micro-units) × rate, rounded half to even to a whole minor unit of `to`, in micro-units. */
export function convertToMinorUnits(amount: number | bigint, rateMicros: number, to: string): number {
  const step = BigInt(minorUnitMicros(to));
  return Number(roundHalfEvenDiv(BigInt(amount) * BigInt(rateMicros), MICROS * step) * step);
}

export interface LineToSettle {
  readonly amount: number;
  readonly currency: string;
  readonly debtor: string;
}

/**
 * The settled amount of each line (same order), carrying each group's rounding remainder forward.
 * `rateOf(currency)` gives the rate from that currency into `settlementCurrency`.
 */
export function settleAmounts(
  lines: readonly LineToSettle[],
  settlementCurrency: string,
  rateOf: (currency: string) => FxRate,
): number[] {
  const groups = new Map<string, { total: bigint; settled: number }>();
  return lines.map((l) => {
    const key = `${l.currency}|${l.debtor}`;
    const g = groups.get(key) ?? { total: 0n, settled: 0 };
    g.total += BigInt(l.amount);
    const settledSoFar = convertToMinorUnits(g.total, rateOf(l.currency).rateMicros, settlementCurrency);
    const line = settledSoFar - g.settled;
    g.settled = settledSoFar;
    groups.set(key, g);
    return line;
  });
}

/** How a rate is printed on a statement: the decimal rate, its integer form, its source and date. */
export function printedRate(fx: FxRate) {
  return {
    rate: (fx.rateMicros / 1_000_000).toFixed(6),
    rateMicros: fx.rateMicros,
    source: fx.source ?? 'registry',
    effectiveFrom: fx.effectiveFrom,
  };
}
