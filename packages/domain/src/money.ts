/**
 * Money is an integer count of minor units (micro-units of the currency: 1 EUR = 1_000_000).
 * Prices are per million tokens, so a charge is tokens × price / 1e6, rounded up: the federation
 * never undercharges by rounding, and the same rule applies to holds, posts and settlement.
 */
import { FederaError } from './errors';

export const MICROS_PER_UNIT = 1_000_000;

export interface TokenPrice {
  /** minor units per 1,000,000 input tokens */
  readonly inputPer1M: number;
  /** minor units per 1,000,000 output tokens */
  readonly outputPer1M: number;
}

export function assertMinorUnits(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new FederaError('VALIDATION_FAILED', `${what} must be a non-negative safe integer, got ${value}`);
  }
  return value;
}

function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  return (numerator + denominator - 1n) / denominator;
}

/** Charge for a token count at a per-million price, rounded up to a whole minor unit. */
export function chargeFor(tokens: number, pricePer1M: number): number {
  assertMinorUnits(tokens, 'tokens');
  assertMinorUnits(pricePer1M, 'price');
  // bigint keeps tokens × price exact even past 2^53 before the division brings it back down.
  const result = ceilDiv(BigInt(tokens) * BigInt(pricePer1M), 1_000_000n);
  return assertMinorUnits(Number(result), 'charge');
}

export function priceUsage(price: TokenPrice, inputTokens: number, outputTokens: number): number {
  return chargeFor(inputTokens, price.inputPer1M) + chargeFor(outputTokens, price.outputPer1M);
}

/** Format minor units for people (never used for arithmetic). */
export function formatMinor(amount: number, currency: string): string {
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  const units = Math.floor(abs / MICROS_PER_UNIT);
  const frac = String(abs % MICROS_PER_UNIT).padStart(6, '0');
  return `${sign}${units}.${frac} ${currency}`;
}
