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
});
