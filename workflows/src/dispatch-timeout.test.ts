import { describe, expect, it } from 'vitest';
import { dispatchTimeoutMs, timeoutCountsAgainstSite } from './dispatch-timeout';

describe('dispatchTimeoutMs', () => {
  it('grows with max_tokens from the fixed allowance', () => {
    expect(dispatchTimeoutMs(64)).toBe(60_000 + 3_200);
    // the largest request gets the time to generate all of it at the floor speed
    expect(dispatchTimeoutMs(32_768)).toBe(60_000 + 1_638_400);
    expect(dispatchTimeoutMs(150, { baseMs: 500, minTokensPerSecond: 100 })).toBe(2_000);
  });
});

describe('timeoutCountsAgainstSite', () => {
  it('counts a timeout only when the fixed allowance dominates the budget', () => {
    const params = { baseMs: 500, minTokensPerSecond: 100 };
    expect(timeoutCountsAgainstSite(10, params)).toBe(true);
    expect(timeoutCountsAgainstSite(50, params)).toBe(true);
    expect(timeoutCountsAgainstSite(51, params)).toBe(false);
    expect(timeoutCountsAgainstSite(1_200, { baseMs: 60_000, minTokensPerSecond: 20 })).toBe(true);
    expect(timeoutCountsAgainstSite(32_768, { baseMs: 60_000, minTokensPerSecond: 20 })).toBe(false);
  });
});
