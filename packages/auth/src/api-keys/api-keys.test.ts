import { describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey, isApiKeyShaped, isWellFormedApiKey, sameHash } from './format';
import { applyKeyScope } from './scope';

describe('API key format', () => {
  it('makes fed_ secrets of 256 random bits, distinct ids, and stores only a SHA-256', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a.secret).toMatch(/^fed_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.secret.slice(4), 'base64url')).toHaveLength(32);
    expect(a.id).toMatch(/^key_[A-Za-z0-9_-]{12}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.secret).not.toBe(b.secret);
    expect(a.hash).toBe(hashApiKey(a.secret));
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hash).not.toContain(a.secret.slice(4));
    expect(isWellFormedApiKey(a.secret)).toBe(true);
    expect(isWellFormedApiKey(`${a.secret}x`)).toBe(false);
    expect(isApiKeyShaped('fed_anything')).toBe(true);
    expect(isApiKeyShaped('eyJhbGciOiJFUzI1NiJ9.e30.sig')).toBe(false);
  });

  it('compares hashes in constant time and refuses empty or malformed ones', () => {
    const { hash } = generateApiKey();
    expect(sameHash(hash, hash)).toBe(true);
    expect(sameHash(hash, hashApiKey('fed_other'))).toBe(false);
    expect(sameHash('', '')).toBe(false);
    expect(sameHash(hash, hash.slice(0, 10))).toBe(false);
  });
});

describe('applyKeyScope', () => {
  const key = (limits: object) => ({ id: 'key_1', limits });

  it('leaves a request alone without a key or without key limits', () => {
    expect(applyKeyScope(undefined, { model: 'm', residency: ['FR'] })).toEqual(['FR']);
    expect(applyKeyScope(key({}), { model: 'm' })).toBeUndefined();
  });

  it("refuses a model off the key's allow-list with MODEL_NOT_ALLOWED", () => {
    const k = key({ models: ['llama-3.1-8b'] });
    expect(applyKeyScope(k, { model: 'llama-3.1-8b' })).toBeUndefined();
    expect(() => applyKeyScope(k, { model: 'mistral-7b' })).toThrow(
      expect.objectContaining({ code: 'MODEL_NOT_ALLOWED' }),
    );
  });

  it("narrows to the key's residency and refuses a request that widens it", () => {
    const k = key({ residency: ['DE', 'FR'] });
    expect(applyKeyScope(k, { model: 'm' })).toEqual(['DE', 'FR']);
    expect(applyKeyScope(k, { model: 'm', residency: ['FR'] })).toEqual(['FR']);
    expect(() => applyKeyScope(k, { model: 'm', residency: ['EU'] })).toThrow(
      expect.objectContaining({ code: 'RESIDENCY_VIOLATION' }),
    );
    expect(() => applyKeyScope(k, { model: 'm', residency: ['ATLANTIS'] })).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_JURISDICTION' }),
    );
    expect(
      applyKeyScope(
        key({ residency: ['SE', 'NO'] }),
        { model: 'm', residency: ['NORDICS'] },
        { NORDICS: ['SE', 'NO'] },
      ),
    ).toEqual(['NO', 'SE']);
  });
});
