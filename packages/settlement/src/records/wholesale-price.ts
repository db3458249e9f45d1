/**
 * `priceUsage` (tokens × price / 1e6, rounded up) without BigInt on the hot path of a settlement run:
 * when the product is a safe integer, the remainder and quotient are exact in doubles, so the result
 * is the same; anything else (huge products, bad input) goes through `priceUsage` itself, which stays
 * the definition and the validation.
 */
import { priceUsage, type TokenPrice } from '@federa/domain';

const PER = 1_000_000;

function fastCharge(tokens: number, pricePer1M: number): number | null {
  if (!Number.isSafeInteger(tokens) || !Number.isSafeInteger(pricePer1M) || tokens < 0 || pricePer1M < 0)
    return null;
  const product = tokens * pricePer1M;
  if (!Number.isSafeInteger(product)) return null;
  const remainder = product % PER;
  return (product - remainder) / PER + (remainder > 0 ? 1 : 0);
}

export function wholesaleCharge(price: TokenPrice, inputTokens: number, outputTokens: number): number {
  const input = fastCharge(inputTokens, price.inputPer1M);
  const output = fastCharge(outputTokens, price.outputPer1M);
  if (input === null || output === null) return priceUsage(price, inputTokens, outputTokens);
  const sum = input + output;
  return Number.isSafeInteger(sum) ? sum : priceUsage(price, inputTokens, outputTokens);
}
