export { connectRedis, type ConnectRedisOptions, type RedisClient } from './connect';
export {
  parseRedisUrl,
  redactRedisUrl,
  RedisUrlError,
  type ParsedRedisUrl,
  type RedisEndpoint,
} from './parse-url';
export { redisDurability, redisUrlIssue } from './config';
export { replicaShortfall } from './replicas';
export { isStoreUnavailable, storeUnavailableOr } from './unavailable';
