import { describe, expect, it } from 'vitest';
import { UsageMeter } from './usage-meter';

describe('UsageMeter', () => {
  it('follows a request from generating to its end', () => {
    const meter = new UsageMeter(10);
    const entry = meter.begin('k1', 12);
    expect(meter.get('k1')).toMatchObject({
      key: 'k1',
      state: 'generating',
      prompt_tokens: 12,
      completion_tokens: 0,
    });
    entry.progress(4);
    expect(meter.get('k1')).toMatchObject({ state: 'generating', completion_tokens: 4 });
    entry.finish('cancelled', 6);
    expect(meter.get('k1')).toMatchObject({ state: 'cancelled', completion_tokens: 6 });
    expect(Date.parse(meter.get('k1')!.updated_at)).not.toBeNaN();
    expect(meter.get('k2')).toBeUndefined();
  });

  it('keeps the latest attempt under a key, and keeps nothing without a key', () => {
    const meter = new UsageMeter(10);
    const first = meter.begin('k', 5);
    const second = meter.begin('k', 5);
    second.finish('completed', 9);
    first.finish('cancelled', 1); // the replaced attempt no longer shows
    expect(meter.get('k')).toMatchObject({ state: 'completed', completion_tokens: 9 });
    meter.begin(undefined, 3).finish('completed', 3);
    expect(meter.size).toBe(1);
  });

  it('is bounded: the least recently started key is forgotten first', () => {
    const meter = new UsageMeter(2);
    meter.begin('a', 1);
    meter.begin('b', 1);
    meter.begin('c', 1);
    expect(meter.size).toBe(2);
    expect(meter.get('a')).toBeUndefined();
    expect(meter.get('c')).toBeDefined();
    expect(() => new UsageMeter(0)).toThrow();
  });
});
