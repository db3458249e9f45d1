import { describe, expect, it } from 'vitest';
import { serverTimingMs } from './site.activities';

describe('serverTimingMs', () => {
  it('sums the durations a site reports', () => {
    expect(serverTimingMs('gen;dur=12.5')).toBe(12.5);
    expect(serverTimingMs('queue;dur=3, gen;dur=10;desc="generation"')).toBe(13);
    expect(serverTimingMs(null)).toBe(0);
    expect(serverTimingMs('cache;desc=hit')).toBe(0);
  });
});
