import { describe, expect, it } from 'vitest';
import { diffValues, showValue } from './diff';

describe('diffValues', () => {
  it('finds nothing between equal values', () => {
    const v = { weights: { latency: 0.6, load: 0.2 }, list: [1, 2], n: null };
    expect(diffValues(v, structuredClone(v))).toEqual([]);
  });

  it('names each changed leaf by its path', () => {
    expect(
      diffValues(
        { version: 1, weights: { latency: 0.6, price: 0.2 } },
        { version: 2, weights: { latency: 0, price: 1 } },
      ),
    ).toEqual([
      { path: 'version', kind: 'changed', before: 1, after: 2 },
      { path: 'weights.latency', kind: 'changed', before: 0.6, after: 0 },
      { path: 'weights.price', kind: 'changed', before: 0.2, after: 1 },
    ]);
  });

  it('reports added and removed keys and array items', () => {
    expect(
      diffValues(
        { tenantOverrides: { a: { excludedSites: ['x', 'y'] } } },
        { tenantOverrides: { a: { excludedSites: ['x'] }, b: { maxFailoverAttempts: 2 } } },
      ),
    ).toEqual([
      { path: 'tenantOverrides.a.excludedSites[1]', kind: 'removed', before: 'y' },
      { path: 'tenantOverrides.b', kind: 'added', after: { maxFailoverAttempts: 2 } },
    ]);
  });

  it('treats null before as a creation and null after as a deletion', () => {
    expect(diffValues(null, { budget: 5 })).toEqual([
      { path: '(value)', kind: 'added', after: { budget: 5 } },
    ]);
    expect(diffValues({ a: 1 }, null)).toEqual([{ path: '(value)', kind: 'removed', before: { a: 1 } }]);
    expect(diffValues({ g: null }, { g: ['FR'] })).toEqual([{ path: 'g', kind: 'added', after: ['FR'] }]);
  });

  it('reports a change of type at the path where it happens', () => {
    expect(diffValues({ a: [1] }, { a: { 0: 1 } })).toEqual([
      { path: 'a', kind: 'changed', before: [1], after: { 0: 1 } },
    ]);
  });
});

describe('showValue', () => {
  it('shows strings bare and everything else as JSON', () => {
    expect(showValue('EU')).toBe('EU');
    expect(showValue({ a: 1 })).toBe('{"a":1}');
    expect(showValue(undefined)).toBe('—');
  });
});
