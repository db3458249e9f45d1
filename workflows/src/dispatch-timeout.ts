/**
 * How long a site may take for one request, sized from the request itself. Pure and deterministic:
 * the request workflow computes it (and its activity timeout from it); the site agent applies it.
 *
 * budget = allowance for queueing, time to first token and network (`baseMs`)
 *        + max_tokens at the slowest generation speed we accept from a site (`minTokensPerSecond`)
 *
 * A request of 32,768 tokens thus gets 60 s + 27 min, a request of 64 tokens 63 s. The agent
 * heartbeats every second, so a dead agent is still noticed within seconds, whatever the budget.
 */
export interface DispatchTimeoutParams {
  /** time to first token, queueing and network, for any request */
  readonly baseMs: number;
  /** the conservative floor of generation speed; a slower site times out */
  readonly minTokensPerSecond: number;
}

export const DEFAULT_DISPATCH_TIMEOUT: DispatchTimeoutParams = { baseMs: 60_000, minTokensPerSecond: 20 };

export function generationAllowanceMs(maxTokens: number, params: DispatchTimeoutParams): number {
  return Math.ceil((maxTokens * 1000) / params.minTokensPerSecond);
}

export function dispatchTimeoutMs(
  maxTokens: number,
  params: DispatchTimeoutParams = DEFAULT_DISPATCH_TIMEOUT,
): number {
  return params.baseMs + generationAllowanceMs(maxTokens, params);
}

/**
 * Whether a timeout says something about the site's health. When most of the budget was the
 * request's own generation allowance, a timeout only says the site generates more slowly than our
 * floor for a request that large: the request's size, not a broken site, so the circuit breaker
 * must not count it (three of those would cut a healthy site off for everyone). When the budget is
 * mostly the fixed allowance, even a short answer did not come back in time: that counts.
 */
export function timeoutCountsAgainstSite(maxTokens: number, params: DispatchTimeoutParams): boolean {
  return generationAllowanceMs(maxTokens, params) <= params.baseMs;
}
