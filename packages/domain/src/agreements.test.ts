import { describe, expect, it } from 'vitest';
import { TopologyIndex, parseTopology } from './topology';
import { agreementSchema } from './agreements';

const base = {
  name: 't',
  operators: ['a', 'b', 'c'].map((id) => ({ id, name: id, country: 'DE', currency: 'EUR', rateCard: {} })),
  sites: [
    {
      id: 's',
      operator: 'a',
      jurisdiction: 'DE',
      city: 'x',
      location: { lat: 0, lon: 0 },
      endpoint: 'http://127.0.0.1:1',
      models: [{ id: 'm', capacity: 1 }],
    },
  ],
  tenants: [
    {
      id: 't',
      name: 't',
      homeOperator: 'a',
      residency: ['DE'],
      budget: 0,
      region: 'r',
      location: { lat: 0, lon: 0 },
    },
  ],
};
base.operators[0]!.rateCard = {
  m: { retail: { inputPer1M: 1, outputPer1M: 1 }, wholesale: { inputPer1M: 1, outputPer1M: 1 } },
};

describe('settlement agreements', () => {
  it('defaults to the federation schedule, a UTC calendar, a 30-day dispute window and adjustment lines', () => {
    expect(agreementSchema.parse({ parties: ['a', 'b'] })).toEqual({
      parties: ['a', 'b'],
      timeZone: 'UTC',
      disputeWindowDays: 30,
      resolution: 'adjustment',
    });
  });

  it('finds a pair in either order, and none for a pair without one', () => {
    const t = new TopologyIndex(
      parseTopology({
        ...base,
        agreements: [{ parties: ['b', 'a'], timeZone: 'Europe/Stockholm', currency: 'SEK' }],
      }),
    );
    expect(t.agreement('a', 'b')?.currency).toBe('SEK');
    expect(t.agreement('b', 'a')?.timeZone).toBe('Europe/Stockholm');
    expect(t.agreement('a', 'c')).toBeUndefined();
  });

  it('refuses unknown time zones, unknown operators, self-agreements and a pair agreed twice', () => {
    expect(() =>
      parseTopology({ ...base, agreements: [{ parties: ['a', 'b'], timeZone: 'Mars/Olympus' }] }),
    ).toThrow(/IANA time zone/);
    expect(() => parseTopology({ ...base, agreements: [{ parties: ['a', 'zz'] }] })).toThrow(
      /unknown operator 'zz'/,
    );
    expect(() => parseTopology({ ...base, agreements: [{ parties: ['a', 'a'] }] })).toThrow(/two different/);
    expect(() =>
      parseTopology({
        ...base,
        agreements: [{ parties: ['a', 'b'] }, { parties: ['b', 'a'], period: 'day' }],
      }),
    ).toThrow(/two agreements for the pair a~b/);
  });

  it('keeps effective-dated agreements: the one in force at an instant, the defaults before the first', () => {
    const t = new TopologyIndex(
      parseTopology({
        ...base,
        agreements: [
          { parties: ['a', 'b'], period: 'day', effectiveFrom: '2026-03-29T03:00:00+02:00' },
          {
            parties: ['b', 'a'],
            period: 'month',
            timeZone: 'Europe/Paris',
            effectiveFrom: '2026-04-01T00:00:00Z',
          },
          { parties: ['a', 'c'], currency: 'SEK' },
          { parties: ['c', 'a'], currency: 'NOK', effectiveFrom: '2026-06-01T00:00:00.000Z' },
        ],
      }),
    );
    const at = (iso: string) => Date.parse(iso);
    expect(t.agreement('a', 'b', at('2026-03-29T00:59:59.999Z'))).toBeUndefined();
    expect(t.agreement('a', 'b', at('2026-03-29T01:00:00Z'))?.period).toBe('day');
    expect(t.agreement('b', 'a', at('2026-04-01T00:00:00Z'))?.period).toBe('month');
    expect(t.agreementsOf('b', 'a').map((x) => x.period)).toEqual(['day', 'month']);
    expect(t.agreement('a', 'c', at('2026-05-31T23:59:59Z'))?.currency).toBe('SEK');
    expect(t.agreement('a', 'c', at('2026-06-01T00:00:00Z'))?.currency).toBe('NOK');
    // an existing topology (one agreement, no effectiveFrom) reads as before, at any time
    expect(t.agreement('a', 'c', -8.64e15)?.currency).toBe('SEK');
  });

  it('refuses an effectiveFrom without an offset, and two agreements of a pair from the same instant', () => {
    expect(() =>
      parseTopology({ ...base, agreements: [{ parties: ['a', 'b'], effectiveFrom: '2026-04-01T00:00:00' }] }),
    ).toThrow(/effectiveFrom must be an ISO-8601 time with Z or an offset/);
    expect(() =>
      parseTopology({ ...base, agreements: [{ parties: ['a', 'b'], effectiveFrom: '1 April 2026' }] }),
    ).toThrow(/effectiveFrom/);
    // the same instant spelled in two offsets
    expect(() =>
      parseTopology({
        ...base,
        agreements: [
          { parties: ['a', 'b'], effectiveFrom: '2026-04-01T02:00:00+02:00' },
          { parties: ['b', 'a'], period: 'day', effectiveFrom: '2026-04-01T00:00:00Z' },
        ],
      }),
    ).toThrow(/two agreements for the pair a~b in force from the same instant 2026-04-01T00:00:00.000Z/);
    expect(() =>
      parseTopology({
        ...base,
        agreements: [{ parties: ['a', 'b'] }, { parties: ['b', 'a'], period: 'day' }],
      }),
    ).toThrow(/without effectiveFrom/);
    // the refusal is the registry's stable VALIDATION_FAILED
    try {
      parseTopology({
        ...base,
        agreements: [
          { parties: ['a', 'b'], effectiveFrom: '2026-04-01T00:00:00Z' },
          { parties: ['a', 'b'], effectiveFrom: '2026-04-01T00:00:00Z' },
        ],
      });
      expect.unreachable();
    } catch (err) {
      expect((err as { code?: string }).code).toBe('VALIDATION_FAILED');
    }
  });
});
