/** Where `federa ledger audit` finds Temporal and Redis by default: the same variables the worker reads. */
import { z } from 'zod';
import { CONTROL_TASK_QUEUE } from '@federa/workflows';

const env = z.object({
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6381'),
  FEDERA_REGISTRY_NAMESPACE: z.string().default('default'),
  FEDERA_CONTROL_TASK_QUEUE: z.string().default(CONTROL_TASK_QUEUE),
});

export function loadAuditConfig(source: NodeJS.ProcessEnv = process.env) {
  const e = env.parse(source);
  return {
    temporalAddress: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    redisUrl: e.REDIS_URL,
    federation: e.FEDERA_REGISTRY_NAMESPACE,
    controlTaskQueue: e.FEDERA_CONTROL_TASK_QUEUE,
  };
}
