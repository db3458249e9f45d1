/**
 * The agent's check of a site's own output figure against what the agent relayed.
 *
 * The billing basis is always the agent's count of the relayed text (clamped to the grant); the
 * site's `completion_tokens` only says whether the site agrees. A site that claims more tokens than
 * it delivered (or fewer) is flagged SITE_USAGE_DISPUTED, so the operator's settlement can be
 * checked against it. The input side needs no check here: the workflow compares the site's
 * `prompt_tokens` with the API edge's count (workflows/src/metering.ts), for chat and embeddings.
 */

export const SITE_USAGE_DISPUTED = 'SITE_USAGE_DISPUTED';

/**
 * How far a site's output figure may be from the agent's count before it is a dispute:
 * max(2 tokens, 2 %). The agent re-tokenizes the decoded text, the site counts the token ids it
 * generated: they differ by an end-of-turn token some servers count, by the rare non-canonical
 * split a sampler produces (the re-tokenized text merges it), and by tokenizer versions at the
 * margins — a few tokens, never a share that grows with the output. Beyond that, the site counts
 * something the client did not get (or hides what it did get).
 */
export const SITE_OUTPUT_TOLERANCE = { minTokens: 2, fraction: 0.02 } as const;

export function outputTolerance(relayedTokens: number): number {
  return Math.max(
    SITE_OUTPUT_TOLERANCE.minTokens,
    Math.ceil(Math.max(0, relayedTokens) * SITE_OUTPUT_TOLERANCE.fraction),
  );
}

/**
 * Whether the site's reported output disputes the agent's count. A site that said nothing (-1: the
 * stream broke off before its usage chunk, or it sends none) disputes nothing: there is no figure.
 */
export function siteOutputDisputed(siteOutputTokens: number, relayedTokens: number): boolean {
  if (!Number.isSafeInteger(siteOutputTokens) || siteOutputTokens < 0) return false;
  return Math.abs(siteOutputTokens - relayedTokens) > outputTolerance(relayedTokens);
}
