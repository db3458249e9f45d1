/**
 * A client for a single Redis or a Redis Cluster, chosen by the URL (see parse-url.ts). Every
 * Federa key a multi-key script or transaction touches shares one hash tag, so the same code runs
 * on both.
 */
import { lookup } from 'node:dns';
import { isIP } from 'node:net';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from './parse-url';

export type RedisClient = Redis | Cluster;

export interface ConnectRedisOptions {
  /** CLIENT SETNAME on every connection (shows in CLIENT LIST) */
  readonly name?: string;
  /** batch commands issued in the same tick into one round trip (default true) */
  readonly autoPipelining?: boolean;
  /** how often a command is re-sent across reconnects before it fails (ioredis default 20) */
  readonly maxRetriesPerRequest?: number;
  /** do not connect until the first command (or connect()) */
  readonly lazyConnect?: boolean;
}

/**
 * Cluster seeds are IP addresses in every Federa deployment (the nodes announce IPs); resolving
 * them through DNS would only add a failure mode. Names still go through the resolver.
 */
const dnsLookup: ClusterOptions['dnsLookup'] = (address, callback) => {
  const family = isIP(address);
  if (family !== 0) return callback(null, address, family);
  lookup(address, (err, resolved, fam) => callback(err, resolved, fam));
};

export function connectRedis(url: string, options: ConnectRedisOptions = {}): RedisClient {
  const parsed = parseRedisUrl(url);
  const node: RedisOptions = {
    ...(parsed.username !== undefined ? { username: parsed.username } : {}),
    ...(parsed.password !== undefined ? { password: parsed.password } : {}),
    ...(options.name !== undefined ? { connectionName: options.name } : {}),
    ...(options.maxRetriesPerRequest !== undefined
      ? { maxRetriesPerRequest: options.maxRetriesPerRequest }
      : {}),
    // rediss: TLS with the system's CAs (as ioredis does for a rediss:// URL)
    ...(parsed.tls ? { tls: {} } : {}),
  };
  const autoPipelining = options.autoPipelining ?? true;
  const lazyConnect = options.lazyConnect ?? false;
  if (parsed.kind === 'single') {
    return new Redis({
      ...node,
      host: parsed.node.host,
      port: parsed.node.port,
      db: parsed.db,
      enableAutoPipelining: autoPipelining,
      lazyConnect,
    });
  }
  return new Cluster(
    parsed.nodes.map((n) => ({ host: n.host, port: n.port })),
    {
      redisOptions: node,
      // a read right after a write must see it: replicas lag (replication is asynchronous)
      scaleReads: 'master',
      enableAutoPipelining: autoPipelining,
      lazyConnect,
      dnsLookup,
      // while a replica is promoted (cluster-node-timeout plus an election) the slot has no
      // master: retry the command a little later instead of failing it at once
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 300,
      retryDelayOnTryAgain: 100,
      maxRedirections: 32,
      // reconnecting to the seeds: back off to 2 s, never give up (the services run for months)
      clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
      slotsRefreshTimeout: 2000,
    },
  );
}
