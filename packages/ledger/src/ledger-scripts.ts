/**
 * The ledger's Lua as one Redis Functions library (FUNCTION LOAD), put together from lua/: core.lua
 * (keys, argument checks, hold and account reads), helpers.lua (everything else), each operation as
 * a function, and batch.lua (several reserves and posts of one tenant in one call).
 *
 * Why a library rather than EVALSHA scripts: a script's whole text runs on every call, so each
 * `local function` of a shared prelude was a closure built per call (a large part of a script's
 * cost); a library's top level runs once, at load, and a call runs only its operation.
 *
 * The library and its functions are named after a hash of its text, so a new version loads beside
 * the old one and processes of both versions work during a rolling deploy.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

export type LedgerFunctionName = 'reserve' | 'extend' | 'post' | 'void' | 'topup' | 'sweep' | 'batch';
const OPERATIONS = ['reserve', 'extend', 'post', 'void', 'topup', 'sweep'] as const;

/** the names of helpers.lua's top-level functions */
export function helperNames(source: string): string[] {
  return [...source.matchAll(/^local function (\w+)/gm)].map((m) => m[1]!);
}

function libraryBody(): string {
  const helpers = lua('helpers');
  const table = helperNames(helpers)
    .map((n) => `${n} = ${n}`)
    .join(', ');
  return [
    lua('core'),
    helpers,
    `local HELPERS = { ${table} }`,
    '-- reserve and post reach the helpers through this (core.lua: a batch then reads the account again)',
    'local function helpers()\n  if batch then batch.acct = nil end\n  return HELPERS\nend',
    ...OPERATIONS.map((op) => `local function ${op}()\n${lua(op)}\nend`),
    lua('batch'),
  ].join('\n');
}

const BODY = libraryBody();
/** the version of the library: a change to any of its Lua is a new library beside the old */
export const LEDGER_LIBRARY_VERSION = createHash('sha256').update(BODY).digest('hex').slice(0, 12);

/** the Redis function that runs `op` (FCALL <name> 8 <tenant keys> <args>) */
export function ledgerFunction(op: LedgerFunctionName): string {
  return `federa_${op}_${LEDGER_LIBRARY_VERSION}`;
}

/** the library's source, as FUNCTION LOAD takes it */
export const LEDGER_LIBRARY = [
  `#!lua name=federa_ledger_${LEDGER_LIBRARY_VERSION}`,
  BODY,
  // each entry point clears a batch a failed call might have left behind, then binds its keys
  ...OPERATIONS.map(
    (op) =>
      `redis.register_function('${ledgerFunction(op)}', function(keys, args)\n` +
      `  batch = nil\n  bind(keys, args)\n  return ${op}()\nend)`,
  ),
  `redis.register_function('${ledgerFunction('batch')}', function(keys, args)\n` +
    `  batch = nil\n  return run_batch(keys, args)\nend)`,
].join('\n');
