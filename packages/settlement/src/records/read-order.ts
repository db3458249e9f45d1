/**
 * The order a settlement run reads usage records in, which is also the leaf order of every line's
 * Merkle tree (statement version 2, `recordOrder: 'tenant-stream'`): tenants by id (code-unit order,
 * not locale), then each tenant's stream in order. Holding that order is what lets a run hash the
 * records as they pass and lets anyone derive a line's records again without stored references.
 */
import type { StoredUsageRecord } from '@federa/domain';
import type { UsageReader } from '../archive/usage-archive';

export const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function tenantsInReadOrder(tenants: readonly { readonly id: string }[]): string[] {
  return tenants.map((t) => t.id).sort(byCodeUnits);
}

/**
 * The records posted in [fromMs, toMs) of each tenant, one stream per tenant in read order; each is
 * read only when it is reached. Read one after the other, they are the records in read order.
 */
export function* tenantStreamsInReadOrder(
  reader: UsageReader,
  tenantIds: readonly string[],
  fromMs: number,
  toMs: number,
  pageSize = 5000,
): Generator<AsyncIterable<StoredUsageRecord>> {
  for (const tenantId of tenantIds) yield reader.between(tenantId, fromMs, toMs, pageSize);
}

/**
 * Batches of the items of the sources, read one source after the other, the next batch already being
 * read while the caller works on the current one: Redis answers the next page on its own core while
 * this one is rated and hashed. Items are pulled from each source directly rather than through one
 * concatenating generator: every extra async generator in between costs each item a promise and a
 * resumption, which at millions of records is a measurable share of a settlement run.
 */
export async function* readAhead<T>(
  sources: Iterable<AsyncIterable<T>>,
  batchSize: number,
): AsyncGenerator<T[]> {
  const remaining = sources[Symbol.iterator]();
  // `stopped` is set when the caller stops early: a batch still being filled must open no more sources
  const reading: { current: AsyncIterator<T> | null; stopped: boolean } = { current: null, stopped: false };
  const fill = async (): Promise<T[]> => {
    const batch: T[] = [];
    while (batch.length < batchSize && !reading.stopped) {
      if (!reading.current) {
        const source = remaining.next();
        if (source.done) break;
        reading.current = source.value[Symbol.asyncIterator]();
      }
      const next = await reading.current.next();
      if (next.done) reading.current = null;
      else batch.push(next.value);
    }
    return batch;
  };
  let pending = fill();
  try {
    for (;;) {
      const batch = await pending;
      if (batch.length === 0) return;
      pending = fill();
      // a failure of the read ahead surfaces at the next await, not as an unhandled rejection
      pending.catch(() => undefined);
      yield batch;
    }
  } finally {
    reading.stopped = true;
    await reading.current?.return?.();
  }
}
