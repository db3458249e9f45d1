import { describe, expect, it } from 'vitest';
import { SeenKeys } from './seen-keys';

describe('SeenKeys', () => {
  it('keeps at most its capacity, dropping the least recently seen key', () => {
    const keys = new SeenKeys(2);
    expect(keys.see('a')).toBe(false);
    expect(keys.see('b')).toBe(false);
    expect(keys.see('a')).toBe(true); // a is now the most recent
    expect(keys.see('c')).toBe(false); // evicts b
    expect(keys.size).toBe(2);
    expect(keys.see('a')).toBe(true);
    expect(keys.see('b')).toBe(false);
  });

  it('refuses a capacity that would not bound anything', () => {
    expect(() => new SeenKeys(0)).toThrow();
  });
});
