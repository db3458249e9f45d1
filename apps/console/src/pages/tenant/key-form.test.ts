import { describe, expect, it } from 'vitest';
import { EMPTY_KEY_FORM, checkKeyForm, parseJurisdictions } from './key-form';

const NOW = Date.parse('2026-11-30T12:00:00Z');

describe('parseJurisdictions', () => {
  it('reads codes and groups separated by commas or spaces, upper-cased, once each', () => {
    expect(parseJurisdictions('fr, DE  EU,fr')).toEqual(['FR', 'DE', 'EU']);
  });
  it('refuses anything that is not a code or a group name', () => {
    expect(parseJurisdictions('FR; DE')).toBeUndefined();
    expect(parseJurisdictions('F')).toBeUndefined();
  });
});

describe('checkKeyForm', () => {
  it('sends only the name when nothing else is filled in', () => {
    expect(checkKeyForm({ ...EMPTY_KEY_FORM, name: '  ci  ' }, NOW)).toEqual({ request: { name: 'ci' } });
  });

  it('turns every limit into what keys.create takes: money in micro-units, expiry as an instant', () => {
    const checked = checkKeyForm(
      {
        name: 'batch',
        residency: 'fr de',
        models: ['llama'],
        budget: '2.5',
        tokensPerMinute: '5000',
        expiresAt: '2027-01-01T00:00Z',
      },
      NOW,
    );
    expect(checked).toEqual({
      request: {
        name: 'batch',
        residency: ['FR', 'DE'],
        models: ['llama'],
        budget: 2_500_000,
        tokensPerMinute: 5000,
        expiresAt: '2027-01-01T00:00:00.000Z',
      },
    });
  });

  it('names the problem of each bad field', () => {
    const checked = checkKeyForm(
      {
        name: ' ',
        residency: 'FR;DE',
        models: [],
        budget: '-1',
        tokensPerMinute: '1.5',
        expiresAt: '2026-11-30T11:00Z',
      },
      NOW,
    );
    expect(checked).toEqual({
      problems: {
        name: 'give the key a name',
        residency: expect.stringContaining('country codes'),
        budget: expect.stringContaining('12.50'),
        tokensPerMinute: expect.stringContaining('whole number'),
        expiresAt: 'must be in the future',
      },
    });
  });
});
