/**
 * The ledger's Lua scripts, put together from lua/: core.lua (keys, argument checks, hold and account
 * reads), helpers.lua (everything else) and the operation. Redis re-runs a script's whole text on
 * every call, so each `local function` of a shared prelude is a closure built per call. Reserve and
 * post (two per request) get helpers.lua wrapped in `local function helpers()`, which they call only
 * off their common path (an API key, a token limit, a period roll, due holds to expire); the other
 * scripts get it at the top level as before.
 */
import { readFileSync } from 'node:fs';

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

/** helpers.lua behind one closure: a table of its functions, built when called */
export function lazyHelpers(source: string): string {
  const names = [...source.matchAll(/^local function (\w+)/gm)].map((m) => m[1]!);
  return `local function helpers()\n${source}\nreturn { ${names.map((n) => `${n} = ${n}`).join(', ')} }\nend\n`;
}

const CORE = lua('core');
const HELPERS = lua('helpers');
const EAGER = CORE + HELPERS;
const LAZY = CORE + lazyHelpers(HELPERS);

export const SCRIPTS = {
  federaReserve: LAZY + lua('reserve'),
  federaExtend: EAGER + lua('extend'),
  federaPost: LAZY + lua('post'),
  federaVoid: EAGER + lua('void'),
  federaTopUp: EAGER + lua('topup'),
  federaSweep: EAGER + lua('sweep'),
} as const;
export type ScriptName = keyof typeof SCRIPTS;
