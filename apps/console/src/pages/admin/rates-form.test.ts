import { describe, expect, it } from 'vitest';
import { fxFromForm, nextHourUtc, parseUtc, rateCardFromForm } from './rates-form';

describe('parseUtc', () => {
  it('reads a UTC time with a space or a T, with or without seconds and Z', () => {
    expect(parseUtc('2026-12-01 08:00')).toBe('2026-12-01T08:00:00.000Z');
    expect(parseUtc('2026-12-01T08:00:30Z')).toBe('2026-12-01T08:00:30.000Z');
  });
  it('refuses what is not a time', () => {
    for (const t of ['tomorrow', '2026-13-01 08:00', '2026-12-01', '']) expect(parseUtc(t)).toBeUndefined();
  });
});

describe('nextHourUtc', () => {
  it('is the next full hour, as the form shows it', () => {
    expect(nextHourUtc(Date.parse('2026-11-30T16:20:00Z'))).toBe('2026-11-30 17:00');
    expect(parseUtc(nextHourUtc(0))).toBe('1970-01-01T01:00:00.000Z');
  });
});

describe('the rate card form', () => {
  const form = {
    operator: 'rhein',
    model: 'llama-3.1-8b',
    effectiveFrom: '2030-01-01 00:00',
    retailIn: '0.2',
    retailOut: '0.6',
    wholesaleIn: '0.12',
    wholesaleOut: '0.36',
  };
  it('sends prices per 1M tokens in micro-units', () => {
    expect(rateCardFromForm(form)).toEqual({
      ok: true,
      value: {
        operator: 'rhein',
        model: 'llama-3.1-8b',
        effectiveFrom: '2030-01-01T00:00:00.000Z',
        retail: { inputPer1M: 200_000, outputPer1M: 600_000 },
        wholesale: { inputPer1M: 120_000, outputPer1M: 360_000 },
      },
    });
  });
  it('names each bad field', () => {
    const r = rateCardFromForm({ ...form, operator: 'Rhein', retailOut: 'free', effectiveFrom: 'soon' });
    expect(r.ok ? [] : Object.keys(r.errors).sort()).toEqual(['effectiveFrom', 'operator', 'retailOut']);
  });
});

describe('the FX form', () => {
  it('sends the rate in micro-units and upper-cases the currencies', () => {
    expect(fxFromForm({ from: 'eur', to: 'sek', rate: '11.25', effectiveFrom: '2026-12-01 00:00' })).toEqual({
      ok: true,
      value: { from: 'EUR', to: 'SEK', rateMicros: 11_250_000, effectiveFrom: '2026-12-01T00:00:00.000Z' },
    });
  });
  it('refuses the same currency twice and a zero rate', () => {
    const r = fxFromForm({ from: 'EUR', to: 'EUR', rate: '0', effectiveFrom: '2026-12-01 00:00' });
    expect(r.ok ? [] : Object.keys(r.errors).sort()).toEqual(['rate', 'to']);
  });
});
