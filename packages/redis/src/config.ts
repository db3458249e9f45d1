/** Helpers for the apps' config.ts (which alone read the environment). */
import { parseRedisUrl, RedisUrlError } from './parse-url';

/** For zod's superRefine on REDIS_URL: the parser's message (the password masked), or nothing. */
export function redisUrlIssue(
  url: string,
  ctx: { addIssue(issue: { code: 'custom'; message: string }): void },
): void {
  try {
    parseRedisUrl(url);
  } catch (err) {
    if (!(err instanceof RedisUrlError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message });
  }
}

/**
 * The ledger's durability from FEDERA_REDIS_WAIT_REPLICAS / _TIMEOUT_MS: undefined for 0 replicas
 * (a single Redis, nothing to wait for).
 */
export function redisDurability(
  replicas: number,
  timeoutMs: number,
): { readonly replicas: number; readonly timeoutMs: number } | undefined {
  return replicas > 0 ? { replicas, timeoutMs } : undefined;
}
