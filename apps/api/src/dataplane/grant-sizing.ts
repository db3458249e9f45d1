/**
 * The first grant of a chat request (3GPP-style online charging): the output tokens it may use in
 * all (the client's max_tokens, or the ceiling for a request that sets none) and the first slice of
 * them held at admission. The site agent asks the workflow for further slices as it relays, so a
 * request with a large or absent max_tokens holds only a slice of it at a time.
 */
export interface GrantSizing {
  /** the ceiling for a request that sets no max_tokens */
  readonly defaultMaxTokens: number;
  /** the most held at once: the first grant and each later slice */
  readonly sliceTokens: number;
}

export interface FirstGrant {
  /** what the request may use in all (the site is asked for this) */
  readonly maxTokens: number;
  /** what admission holds */
  readonly grantTokens: number;
}

export function firstGrant(maxTokens: number | undefined, sizing: GrantSizing): FirstGrant {
  const ceiling = maxTokens ?? sizing.defaultMaxTokens;
  return { maxTokens: ceiling, grantTokens: Math.max(1, Math.min(ceiling, sizing.sliceTokens)) };
}
