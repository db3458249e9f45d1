/**
 * Billed work is never lost: once a site has served a request, its usage is posted exactly once,
 * however long Redis is away and whatever the post fails with meanwhile. No execution timeout can
 * end a request workflow before its compensation (void or post) has run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantKeys } from '@federa/ledger';
import { requestWorkflowId } from '@federa/workflows';
import { PROFILES, ensureRedis, type Profile, type RunningService } from '../../scripts/infra';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { testTopology } from '../support/topology';

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Settles to the response, and says meanwhile whether it has. */
function pending<T>(promise: Promise<T>) {
  const state = { done: false };
  void promise.then(
    () => (state.done = true),
    () => (state.done = true),
  );
  return { promise, state };
}

describe('posting served work', () => {
  const s = uniqueSuffix();
  const fr = `${s}-fr`; // France only: every request goes to the one Paris site
  const paris = `${s}-par`;
  let fed: Federation;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s));
  });
  afterAll(async () => fed?.close());

  it('parks a post that fails for good and posts it once the cause is repaired', async () => {
    const id = 'post-repaired';
    const emulator = fed.emulator(paris);
    const served = emulator.stats().completions;
    emulator.configure({ ttftMs: 1500 });
    try {
      const call = pending(fed.call('inference.complete', chat(id), await fed.token('tenant', fr)));
      await until('the hold', async () => (await fed.ledger.hold(fr, id))?.state === 'pending');
      // the hold disappears while the site works: the post fails with HOLD_NOT_FOUND (non-retryable)
      const holds = tenantKeys(fr).holds;
      const hold = (await fed.redis.hget(holds, id))!;
      await fed.redis.hdel(holds, id);
      await until('the site to serve', () => emulator.stats().completions > served);
      await sleep(1500);
      expect(call.state.done).toBe(false);

      const handle = fed.temporal.workflow.getHandle(requestWorkflowId(fr, id));
      const described = await handle.describe();
      expect(described.status.name).toBe('RUNNING');
      // nothing can cut the workflow off before its post
      expect(Number(described.raw.executionConfig?.workflowExecutionTimeout?.seconds ?? 0)).toBe(0);

      await fed.redis.hset(holds, id, hold); // the repair
      const res = await call.promise;
      expect(res.status).toBe(200);
      const records = await fed.ledger.listUsage(fr, { limit: 10 });
      expect(records.filter((r) => r.requestId === id)).toHaveLength(1);
      expect(await fed.ledger.hold(fr, id)).toMatchObject({ state: 'posted' });
    } finally {
      emulator.configure({ ttftMs: 2 });
    }
  }, 60_000);
});

describe('Redis away while a served request is posted', () => {
  const profile: Profile = { ...PROFILES.test, name: 'test-redis-posting', redisPort: 6399 };
  const s = uniqueSuffix();
  const fr = `${s}-fr`;
  const paris = `${s}-par`;
  let redis: RunningService;
  let fed: Federation;

  beforeAll(async () => {
    redis = await ensureRedis(profile);
    fed = await startFederation(testTopology(s), { redisUrl: redis.address });
  });
  afterAll(async () => {
    await fed?.close();
    await redis?.stop();
  });

  it('posts the request exactly once when Redis returns', async () => {
    const id = 'post-after-outage';
    const emulator = fed.emulator(paris);
    emulator.configure({ ttftMs: 1000 });
    const call = pending(fed.call('inference.complete', chat(id), await fed.token('tenant', fr)));
    await until('the site to get the request', () => emulator.stats().requests > 0);
    await redis.stop(); // SIGTERM: Redis writes its AOF and exits
    await until('the site to serve', () => emulator.stats().completions > 0);
    await sleep(20_000);
    expect(call.state.done).toBe(false);
    redis = await ensureRedis(profile);

    const res = await call.promise;
    expect(res.status).toBe(200);
    const records = await fed.ledger.listUsage(fr, { limit: 10 });
    expect(records.map((r) => r.requestId)).toEqual([id]);
    const account = await fed.ledger.account(fr);
    expect(account).toMatchObject({ pending: 0, posted: records[0]!.retailCharge });
  }, 120_000);
});
