/**
 * What the federation bills for a served request, decided by the control plane and not by the site:
 * input is the API edge's own count, output is the site's count clamped to the request's
 * `max_tokens`. A site whose figures differ is recorded (`siteReported`) and, beyond the tolerance
 * or above `max_tokens`, flagged, so operators can dispute it in settlement.
 */

/**
 * A site may count the prompt a little differently (chat template tokens, tokenizer version): up to
 * max(2 tokens, 1 % of the edge count) is not a dispute.
 */
export const SITE_INPUT_TOLERANCE = { minTokens: 2, fraction: 0.01 } as const;

export const SITE_USAGE_DISPUTED = 'SITE_USAGE_DISPUTED';
export const OUTPUT_CLAMPED = 'OUTPUT_CLAMPED';

export interface SiteUsageClaim {
  /** the API edge's count of the prompt (what the hold was priced with) */
  readonly edgeInputTokens: number;
  /** the request's `max_tokens` */
  readonly maxTokens: number;
  /** what the site says it used */
  readonly siteInputTokens: number;
  readonly siteOutputTokens: number;
}

export interface MeteredUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly flags: readonly string[];
  /** the site's own figures, when they differ from what is billed */
  readonly siteReported?: { readonly inputTokens: number; readonly outputTokens: number };
}

export function inputTolerance(edgeInputTokens: number): number {
  return Math.max(SITE_INPUT_TOLERANCE.minTokens, Math.ceil(edgeInputTokens * SITE_INPUT_TOLERANCE.fraction));
}

const isCount = (n: number) => Number.isSafeInteger(n) && n >= 0;

/**
 * A site input figure of -1 means the site said nothing (a stream the client or the site broke off
 * before its usage chunk): nothing to dispute, and the input is billed at the edge's count anyway.
 */
export const SITE_DID_NOT_SAY = -1;

export function meterSiteUsage(claim: SiteUsageClaim): MeteredUsage {
  const inputTokens = claim.edgeInputTokens;
  const flags: string[] = [];
  // a figure that is not a count at all (negative, fractional, NaN) bills nothing and is disputed
  const siteInputValid = isCount(claim.siteInputTokens);
  const siteOutputValid = isCount(claim.siteOutputTokens);
  const siteOutput = siteOutputValid ? claim.siteOutputTokens : 0;
  const outputTokens = Math.min(siteOutput, claim.maxTokens);
  if (
    (!siteInputValid && claim.siteInputTokens !== SITE_DID_NOT_SAY) ||
    !siteOutputValid ||
    (siteInputValid && Math.abs(claim.siteInputTokens - inputTokens) > inputTolerance(inputTokens))
  ) {
    flags.push(SITE_USAGE_DISPUTED);
  }
  if (siteOutput > claim.maxTokens) flags.push(OUTPUT_CLAMPED);
  const differs = claim.siteInputTokens !== inputTokens || claim.siteOutputTokens !== outputTokens;
  return {
    inputTokens,
    outputTokens,
    flags,
    ...(differs
      ? {
          siteReported: {
            inputTokens: siteInputValid ? claim.siteInputTokens : -1,
            outputTokens: siteOutputValid ? claim.siteOutputTokens : -1,
          },
        }
      : {}),
  };
}
