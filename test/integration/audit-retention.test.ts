/**
 * The audit stream is trimmed to its retention window (MINID, by the entries' own Redis time), so it
 * does not grow without bound. Each test writes its own stream: the shared one is read by other suites.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AuditLog } from '@federa/api';
import type { Principal } from '@federa/auth';
import { uniqueSuffix } from '../support/harness';

const admin = { role: 'admin', subject: 'alice@federation' } as Principal;

/** Wait until the Redis server's clock has passed `ms` (stream ids are its milliseconds). */
async function untilRedisTimePasses(redis: Redis, ms: number): Promise<void> {
  for (;;) {
    const [sec, micro] = await redis.time();
    if (Number(sec) * 1000 + Math.floor(Number(micro) / 1000) > ms) return;
    await sleep(10);
  }
}

describe('the audit log', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(() => redis?.disconnect());

  it('drops entries older than its retention when it appends', async () => {
    const stream = `federa:audit:test-${uniqueSuffix()}`;
    const audit = new AuditLog(redis, { stream, retentionMs: 200 });
    const first = await audit.append(admin, 'budgets.set', 'old', null, { budget: 1 });
    await untilRedisTimePasses(redis, Number(first.split('-')[0]) + 200);
    const second = await audit.append(admin, 'budgets.set', 'new', null, { budget: 2 });
    expect((await audit.list({ limit: 10 })).map((e) => e.id)).toEqual([second]);
    expect(await redis.xlen(stream)).toBe(1);
    await redis.del(stream);
  });

  it('keeps every entry inside the retention window', async () => {
    const stream = `federa:audit:test-${uniqueSuffix()}`;
    const audit = new AuditLog(redis, { stream });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await audit.append(admin, 'policy.set', `v${i}`, i, i + 1));
    expect((await audit.list({ limit: 10 })).map((e) => e.id)).toEqual(ids.reverse());
    await redis.del(stream);
  });
});
