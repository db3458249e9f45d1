import { describe, expect, it } from 'vitest';
import { firstGrant } from './grant-sizing';

describe('first grant sizing', () => {
  const sizing = { defaultMaxTokens: 4_096, sliceTokens: 1_024 };

  it('holds all of a max_tokens within one slice', () => {
    expect(firstGrant(100, sizing)).toEqual({ maxTokens: 100, grantTokens: 100 });
    expect(firstGrant(1_024, sizing)).toEqual({ maxTokens: 1_024, grantTokens: 1_024 });
  });

  it('holds one slice of a larger max_tokens', () => {
    expect(firstGrant(10_000, sizing)).toEqual({ maxTokens: 10_000, grantTokens: 1_024 });
  });

  it('gives a request without max_tokens the default ceiling, one slice held', () => {
    expect(firstGrant(undefined, sizing)).toEqual({ maxTokens: 4_096, grantTokens: 1_024 });
  });
});
