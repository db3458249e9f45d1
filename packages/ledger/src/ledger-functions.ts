/**
 * Calling the ledger's Redis Functions library (ledger-scripts.ts), loading it where it is missing.
 *
 * The library is loaded on first need rather than at start: a Redis that restarted from an AOF or
 * RDB has it already (FUNCTION LOAD is persisted and replicated like a write), and a node that joined
 * a cluster later, or a Redis someone flushed with FUNCTION FLUSH, answers "Function not found" to
 * the first call, which loads it on every master and runs the call again. Loading is idempotent
 * (REPLACE with the same text), so processes racing to load it do no harm.
 */
import { Command, type Cluster, type Redis } from 'ioredis';
import { LEDGER_LIBRARY, ledgerFunction, type LedgerFunctionName } from './ledger-scripts';

type RedisLike = Redis | Cluster;

const NOT_LOADED = /Function not found/i;

/** the error says the ledger's library is not on the node that answered */
export function isLibraryMissing(err: unknown): boolean {
  return err instanceof Error && NOT_LOADED.test(err.message);
}

/** Load the ledger's library on the Redis (every master of a cluster; replicas get it from them). */
export async function loadLedgerLibrary(redis: RedisLike): Promise<void> {
  const nodes = 'nodes' in redis && typeof redis.nodes === 'function' ? redis.nodes('master') : [redis];
  await Promise.all(nodes.map((node) => node.call('FUNCTION', 'LOAD', 'REPLACE', LEDGER_LIBRARY)));
}

/**
 * Run `op` once, loading the library first if the node lacks it. `direct`: write the call to the
 * connection now, past the client's auto-pipelining (which holds commands until the end of the
 * event-loop turn); the group commit does its own batching and wants Redis working on a full batch
 * while this process is still busy with the rest of the turn.
 */
export async function callLedger(
  redis: RedisLike,
  op: LedgerFunctionName,
  keys: readonly string[],
  args: readonly string[],
  direct = false,
): Promise<unknown> {
  const fcallArgs = [ledgerFunction(op), String(keys.length), ...keys, ...args];
  const call = (): Promise<unknown> => {
    if (!direct) return redis.call('FCALL', ...fcallArgs);
    const command = new Command('fcall', fcallArgs, { replyEncoding: 'utf8' });
    void redis.sendCommand(command);
    return command.promise;
  };
  try {
    return await call();
  } catch (err) {
    if (!isLibraryMissing(err)) throw err;
    await loadLedgerLibrary(redis);
    return call();
  }
}
