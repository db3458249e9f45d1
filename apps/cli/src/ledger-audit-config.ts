/** Where `federa ledger audit` finds Temporal and Redis by default: the same variables the worker reads. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CONTROL_TASK_QUEUE } from '@federa/workflows';

const env = z.object({
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  REDIS_URL: z.string().optional(),
  FEDERA_REGISTRY_NAMESPACE: z.string().default('default'),
  FEDERA_CONTROL_TASK_QUEUE: z.string().default(CONTROL_TASK_QUEUE),
  /** settled periods' usage archived by the worker (the same setting the API and worker read) */
  FEDERA_USAGE_ARCHIVE_DIR: z.string().default('.data/dev/usage-archive'),
});

export function loadAuditConfig(source: NodeJS.ProcessEnv = process.env) {
  const e = env.parse(source);
  return {
    temporalAddress: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    redisUrl: e.REDIS_URL ?? devRedisUrl(),
    federation: e.FEDERA_REGISTRY_NAMESPACE,
    controlTaskQueue: e.FEDERA_CONTROL_TASK_QUEUE,
    /** '' = no archive: usage is read from the live streams only */
    usageArchiveDir: e.FEDERA_USAGE_ARCHIVE_DIR,
  };
}

/**
 * Without REDIS_URL: the Redis `npm start` runs, as the services' user whose password `npm start`
 * generated under .data/dev/secrets (Redis refuses unauthenticated connections).
 */
function devRedisUrl(): string {
  try {
    const password = readFileSync('.data/dev/secrets/redis-federa-password', 'utf8').trim();
    return `redis://federa:${password}@127.0.0.1:6381`;
  } catch {
    return 'redis://127.0.0.1:6381';
  }
}
