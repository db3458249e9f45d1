import { describe, expect, it } from 'vitest';
import { credentialProblem } from './credential';

describe('a pasted credential', () => {
  it('accepts the shapes of a JWT and of an API key', () => {
    expect(credentialProblem('eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln')).toBeUndefined();
    expect(credentialProblem('fed_abc123_DEF-456')).toBeUndefined();
  });

  it('refuses empty, oversized, and anything with spaces or quotes, before sending it', () => {
    expect(credentialProblem('')).toMatch(/paste/);
    expect(credentialProblem('a'.repeat(8193))).toMatch(/too long/);
    expect(credentialProblem('Bearer abc')).toMatch(/no spaces/);
    expect(credentialProblem('"abc"')).toMatch(/no spaces/);
  });
});
