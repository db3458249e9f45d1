import { describe, expect, it } from 'vitest';
import { LEDGER_LIBRARY, LEDGER_LIBRARY_VERSION, helperNames, ledgerFunction } from './ledger-scripts';

describe('ledger library', () => {
  it('finds the top-level functions of a Lua source by name', () => {
    expect(
      helperNames(
        'local function a(x) return x end\n  local function nested() end\nlocal function b_2() end\n',
      ),
    ).toEqual(['a', 'b_2']);
  });

  it('names the library and registers each operation once, under names that carry its version', () => {
    expect(LEDGER_LIBRARY.startsWith(`#!lua name=federa_ledger_${LEDGER_LIBRARY_VERSION}\n`)).toBe(true);
    expect(LEDGER_LIBRARY_VERSION).toMatch(/^[0-9a-f]{12}$/);
    for (const op of ['reserve', 'extend', 'post', 'void', 'topup', 'sweep', 'batch'] as const) {
      const registrations =
        LEDGER_LIBRARY.split(`redis.register_function('${ledgerFunction(op)}'`).length - 1;
      expect(registrations, op).toBe(1);
      expect(ledgerFunction(op)).toBe(`federa_${op}_${LEDGER_LIBRARY_VERSION}`);
    }
  });

  it('clears a batch a failed call may have left before each entry point runs', () => {
    const entries = LEDGER_LIBRARY.split('redis.register_function(').slice(1);
    expect(entries).toHaveLength(7);
    for (const entry of entries) expect(entry).toMatch(/^'[^']+', function\(keys, args\)\n {2}batch = nil\n/);
  });
});
