/**
 * The two Redis deployments the ledger's scripts must behave identically on: the single node the
 * federation runs on by default, and a 3-master Redis Cluster (every key of a tenant in its slot).
 * Both are reached the way the apps reach them: connectRedis with a redis:// or redis+cluster:// URL.
 */
import { connectRedis, type RedisClient } from '@federa/redis';
import { inject } from 'vitest';

export const REDIS_BACKENDS: [string, () => RedisClient][] = inject('redisUrl').startsWith('redis+cluster://')
  ? // the production-like stack (npm run test:stack): its 3 + 3 cluster is the only Redis there is
    [["the stack's Redis Cluster", () => connectRedis(inject('redisUrl'), { autoPipelining: false })]]
  : [
      ['a single Redis', () => connectRedis(inject('redisUrl'), { autoPipelining: false })],
      [
        'a 3-master Redis Cluster',
        () =>
          connectRedis(`redis+cluster://${inject('redisClusterNodes').join(',')}`, { autoPipelining: false }),
      ],
    ];
