/**
 * The two Redis deployments the ledger's scripts must behave identically on: the single node the
 * federation runs on by default, and a 3-master Redis Cluster (every key of a tenant in its slot).
 */
import { Cluster, Redis } from 'ioredis';
import { inject } from 'vitest';

export const REDIS_BACKENDS: [string, () => Redis | Cluster][] = [
  ['a single Redis', () => new Redis(inject('redisUrl'))],
  [
    'a 3-master Redis Cluster',
    () =>
      new Cluster(
        inject('redisClusterNodes').map((n) => {
          const [host, port] = n.split(':');
          return { host: host!, port: Number(port) };
        }),
      ),
  ],
];
