import { describe, expect, it } from 'vitest';
import { FederaError } from './errors';
import { BUILTIN_GROUPS, effectiveResidency, expandJurisdictions } from './jurisdictions';

describe('jurisdictions', () => {
  it('expands groups and countries', () => {
    expect(expandJurisdictions(['EU']).size).toBe(27);
    expect(expandJurisdictions(['EEA']).has('NO')).toBe(true);
    expect(expandJurisdictions(['EU']).has('GB')).toBe(false);
    expect([...expandJurisdictions(['FR', 'DE', 'FR'])].sort()).toEqual(['DE', 'FR']);
    expect(expandJurisdictions(['NORDICS'], { ...BUILTIN_GROUPS, NORDICS: ['SE', 'NO'] }).has('NO')).toBe(
      true,
    );
  });

  it('refuses unknown names instead of dropping them', () => {
    expect(() => expandJurisdictions(['EU', 'XX'])).toThrow(FederaError);
    expect(() => expandJurisdictions(['eu'])).toThrow(/unknown jurisdiction/);
  });

  it('narrows but never widens a tenant policy', () => {
    expect([...effectiveResidency(['EU'], ['FR'])]).toEqual(['FR']);
    expect(effectiveResidency(['EU'], undefined).size).toBe(27);
    expect(() => effectiveResidency(['EU'], ['FR', 'US'])).toThrow(/widens.*US/);
    expect(() => effectiveResidency(['FR'], ['EU'])).toThrow(
      expect.objectContaining({ code: 'RESIDENCY_VIOLATION' }),
    );
    expect(() => effectiveResidency(['EU'], [])).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });
});

describe('jurisdiction names that are also Object.prototype members', () => {
  const PROTO_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

  it('are unknown jurisdictions, not prototype members', () => {
    const custom = { ...BUILTIN_GROUPS, NORDICS: ['SE', 'NO'] };
    for (const name of PROTO_NAMES) {
      for (const groups of [BUILTIN_GROUPS, custom]) {
        expect(() => expandJurisdictions([name], groups)).toThrow(
          expect.objectContaining({ code: 'UNKNOWN_JURISDICTION' }),
        );
      }
      expect(() => effectiveResidency(['EU'], [name])).toThrow(
        expect.objectContaining({ code: 'UNKNOWN_JURISDICTION' }),
      );
    }
  });
});
