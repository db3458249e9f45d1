/** Redis's memory (INFO memory), read at scrape time: the ledger refuses writes at maxmemory. */
import type { RedisMetrics } from '../metrics/catalogue';

export function redisMemoryCollector(opts: {
  readonly metrics: RedisMetrics;
  readonly storeMemory: () => Promise<{ readonly usedBytes: number; readonly maxBytes: number }>;
}): () => Promise<void> {
  return async () => {
    const memory = await opts.storeMemory();
    opts.metrics.memoryUsed.set(memory.usedBytes);
    opts.metrics.maxMemory.set(memory.maxBytes);
  };
}
