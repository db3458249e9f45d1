import { describe, expect, it } from 'vitest';
import {
  MAX_BUCKETS,
  bucketLabel,
  bucketWidthText,
  bucketWidthFor,
  servedWhere,
  totalsBy,
  usageSeries,
  type UsagePoint,
} from './usage-series';

const at = (iso: string, over: Partial<UsagePoint> = {}): UsagePoint => ({
  completedAt: iso,
  model: 'llama',
  siteId: 'fra',
  servingOperator: 'rhein',
  jurisdiction: 'DE',
  inputTokens: 10,
  outputTokens: 5,
  charge: 100,
  ...over,
});

describe('bucketWidthFor', () => {
  it('uses a minute for a short span and widens so no more than MAX_BUCKETS buckets are needed', () => {
    const t = Date.parse('2026-11-30T10:00:00Z');
    expect(bucketWidthFor(t, t)).toBe(60_000);
    expect(bucketWidthFor(t, t + 30 * 60_000)).toBe(60_000);
    expect(bucketWidthFor(t, t + 3 * 60 * 60_000)).toBe(5 * 60_000);
    expect(bucketWidthFor(t, t + 3 * 24 * 60 * 60_000)).toBe(6 * 60 * 60_000);
    const width = bucketWidthFor(t, t + 40 * 24 * 60 * 60_000);
    expect(Math.floor((t + 40 * 24 * 60 * 60_000) / width) - Math.floor(t / width) + 1).toBeLessThanOrEqual(
      MAX_BUCKETS,
    );
  });
});

describe('usageSeries', () => {
  it('is empty without records', () => {
    expect(usageSeries([], 'model', 'tokens')).toEqual({ bucketMs: 60_000, buckets: [], keys: [] });
  });

  it('sums the measure per group and time bucket, with empty buckets in between and every key in each', () => {
    const records = [
      at('2026-11-30T10:00:10Z', { siteId: 'fra', inputTokens: 1, outputTokens: 2, charge: 7 }),
      at('2026-11-30T10:00:50Z', { siteId: 'sto', jurisdiction: 'SE', inputTokens: 10, outputTokens: 20 }),
      at('2026-11-30T10:02:00Z', { siteId: 'sto', jurisdiction: 'SE', inputTokens: 100, outputTokens: 0 }),
    ];
    const bySite = usageSeries(records, 'siteId', 'tokens');
    expect(bySite.bucketMs).toBe(60_000);
    expect(bySite.keys).toEqual(['sto', 'fra']);
    expect(bySite.buckets).toEqual([
      { start: Date.parse('2026-11-30T10:00:00Z'), values: { sto: 30, fra: 3 } },
      { start: Date.parse('2026-11-30T10:01:00Z'), values: { sto: 0, fra: 0 } },
      { start: Date.parse('2026-11-30T10:02:00Z'), values: { sto: 100, fra: 0 } },
    ]);
    const charge = usageSeries(records, 'jurisdiction', 'charge');
    expect(charge.buckets[0]!.values).toEqual({ SE: 100, DE: 7 });
  });

  it('leaves out records whose time cannot be read', () => {
    const series = usageSeries([at('not a time'), at('2026-11-30T10:00:00Z')], 'model', 'tokens');
    expect(series.buckets).toEqual([{ start: Date.parse('2026-11-30T10:00:00Z'), values: { llama: 15 } }]);
  });
});

describe('totalsBy', () => {
  it('counts requests and sums the measure per group, largest first, ties by key', () => {
    const records = [at('x', { model: 'b' }), at('x', { model: 'a' }), at('x', { model: 'c', charge: 500 })];
    expect(totalsBy(records, 'model', 'charge')).toEqual([
      { key: 'c', requests: 1, value: 500 },
      { key: 'a', requests: 1, value: 100 },
      { key: 'b', requests: 1, value: 100 },
    ]);
  });
});

describe('servedWhere', () => {
  it('gives one row per site with its jurisdiction and operator, most requests first', () => {
    const records = [
      at('x'),
      at('x', { siteId: 'sto', jurisdiction: 'SE', servingOperator: 'albion' }),
      at('x'),
    ];
    expect(servedWhere(records)).toEqual([
      { siteId: 'fra', jurisdiction: 'DE', servingOperator: 'rhein', requests: 2, tokens: 30, charge: 200 },
      { siteId: 'sto', jurisdiction: 'SE', servingOperator: 'albion', requests: 1, tokens: 15, charge: 100 },
    ]);
  });
});

describe('bucketLabel', () => {
  it('shows the time for buckets under a day and the date otherwise (UTC)', () => {
    const t = Date.parse('2026-11-30T10:05:00Z');
    expect(bucketLabel(t, 60_000)).toBe('11-30 10:05');
    expect(bucketLabel(t, 24 * 60 * 60_000)).toBe('2026-11-30');
  });
});

describe('bucketWidthText', () => {
  it('names each width on the ladder', () => {
    expect(
      [60_000, 5 * 60_000, 60 * 60_000, 6 * 60 * 60_000, 24 * 60 * 60_000, 7 * 24 * 60 * 60_000].map(
        bucketWidthText,
      ),
    ).toEqual(['1-minute', '5-minute', '1-hour', '6-hour', '1-day', '1-week']);
  });
});
