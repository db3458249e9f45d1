import { describe, expect, it } from 'vitest';
import { SCRIPTS, lazyHelpers } from './ledger-scripts';

describe('ledger scripts', () => {
  it('wraps helpers in one function that returns each of them by name', () => {
    const wrapped = lazyHelpers('local function a(x) return x end\nlocal function b_2() return a(1) end\n');
    expect(wrapped.startsWith('local function helpers()\n')).toBe(true);
    expect(wrapped.trimEnd().endsWith('return { a = a, b_2 = b_2 }\nend')).toBe(true);
  });

  it('builds the helpers lazily only in reserve and post, the two scripts of every request', () => {
    const lazy = (source: string) => source.includes('local function helpers()');
    expect(lazy(SCRIPTS.federaReserve) && lazy(SCRIPTS.federaPost)).toBe(true);
    for (const name of ['federaExtend', 'federaVoid', 'federaTopUp', 'federaSweep'] as const) {
      expect(lazy(SCRIPTS[name]), name).toBe(false);
      // the helpers those scripts call sit at their top level
      expect(SCRIPTS[name]).toMatch(/^local function expire_due\(/m);
    }
  });
});
