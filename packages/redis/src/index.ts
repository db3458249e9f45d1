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
