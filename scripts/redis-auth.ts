/**
 * Redis access control for the servers the scripts start (Redis 6+ ACLs):
 *
 * - `default` is switched off: a connection that has not authenticated can run no command, and
 *   nobody can log in as `default`. Its command rules stay `+@all` on purpose: Redis 7.0 replays
 *   the AOF's MULTI/EXEC blocks (what Lua scripts propagate) as the default user and checks them
 *   against its rules, so `-@all` would make every ledger write fail to load after a restart;
 * - `federa`, the services' user (API, worker, tests): every key and channel, every command except
 *   the `@dangerous` ones (FLUSHALL, KEYS, CONFIG, DEBUG, SHUTDOWN, ACL, CLUSTER changes, …), plus
 *   INFO, which ioredis's ready check and the health output read;
 * - `federa-admin`, for scripts that need CONFIG/CLUSTER/SHUTDOWN (readiness probes, operations).
 *
 * Passwords are generated per profile (see secrets.ts); the ACL file holds only their SHA-256.
 */
import { createHash } from 'node:crypto';
import { ensureSecret, writeSecretFile } from './secrets';

export const REDIS_SERVICE_USER = 'federa';
export const REDIS_ADMIN_USER = 'federa-admin';
export const SERVICE_USER_RULES = '~* &* +@all -@dangerous +info';

export interface RedisUser {
  readonly user: string;
  readonly password: string;
}

export interface RedisCredentials {
  readonly service: RedisUser;
  readonly admin: RedisUser;
}

export function ensureRedisCredentials(profileName: string): RedisCredentials {
  return {
    service: { user: REDIS_SERVICE_USER, password: ensureSecret(profileName, 'redis-federa-password') },
    admin: { user: REDIS_ADMIN_USER, password: ensureSecret(profileName, 'redis-admin-password') },
  };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function aclFileContents(creds: RedisCredentials): string {
  return [
    'user default off ~* &* +@all',
    `user ${creds.service.user} on #${sha256(creds.service.password)} ${SERVICE_USER_RULES}`,
    `user ${creds.admin.user} on #${sha256(creds.admin.password)} ~* &* +@all`,
    '',
  ].join('\n');
}

/** The ACL file redis-server loads at start (`--aclfile`), rewritten from the current secrets. */
export function writeAclFile(profileName: string, creds: RedisCredentials): string {
  return writeSecretFile(profileName, 'redis-users.acl', aclFileContents(creds));
}

/** redis://user:password@127.0.0.1:port (or no credentials for a Redis running without ACLs) */
export function redisUrl(port: number, user?: RedisUser): string {
  if (!user) return `redis://127.0.0.1:${port}`;
  return `redis://${encodeURIComponent(user.user)}:${encodeURIComponent(user.password)}@127.0.0.1:${port}`;
}
