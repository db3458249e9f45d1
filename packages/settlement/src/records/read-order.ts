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

/** Records posted in [fromMs, toMs) of the tenants, in read order. */
export async function* recordsInReadOrder(
  reader: UsageReader,
  tenantIds: readonly string[],
  fromMs: number,
  toMs: number,
  pageSize = 5000,
): AsyncGenerator<StoredUsageRecord> {
  for (const tenantId of tenantIds) yield* reader.between(tenantId, fromMs, toMs, pageSize);
}

/**
 * Batches of the source's items, the next batch already being read while the caller works on the
 * current one: Redis answers the next page on its own core while this one is rated and hashed.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, batchSize: number): AsyncGenerator<T[]> {
  const it = source[Symbol.asyncIterator]();
  const fill = async (): Promise<T[]> => {
    const batch: T[] = [];
    while (batch.length < batchSize) {
      const next = await it.next();
      if (next.done) break;
      batch.push(next.value);
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
    await it.return?.();
  }
}
