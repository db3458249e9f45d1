/**
 * The registry's compare-and-set (three keys in one Lua script, one hash tag) on both Redis
 * deployments: seeding once, concurrent updates all applied in turn, the policy history kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTopology } from '@federa/domain';
import type { RedisClient } from '@federa/redis';
import { Registry } from '@federa/registry';
import { uniqueSuffix } from '../support/harness';
import { REDIS_BACKENDS } from '../support/redis-backends';
import { testTopology } from '../support/topology';

describe.each(REDIS_BACKENDS)('the registry on %s', (_name, connect) => {
  let redis: RedisClient;
  beforeAll(() => {
    redis = connect();
  });
  afterAll(() => redis.disconnect());

  it('seeds once and applies concurrent changes one after another', async () => {
    const s = uniqueSuffix();
    const registry = new Registry(redis, s);
    const topology = parseTopology(testTopology(s));
    expect(await registry.seed(topology)).toBe(true);
    expect(await registry.seed(topology)).toBe(false);
    const sites = topology.sites.slice(0, 3).map((site) => site.id);
    // three writers at once: the CAS makes each re-read and retry until its change lands on top
    await Promise.all(
      sites.map((id) =>
        new Registry(redis, s).update((t) => ({
          topology: { ...t, sites: t.sites.map((x) => (x.id === id ? { ...x, status: 'draining' } : x)) },
          result: null,
        })),
      ),
    );
    const after = await registry.snapshot();
    expect(await registry.version()).toBe(4);
    for (const id of sites) expect(after.site(id).status).toBe('draining');

    await registry.update((t) => ({
      topology: { ...t, routing: { ...t.routing, version: t.routing.version + 1 } },
      result: null,
    }));
    expect((await registry.policyHistory()).map((p) => p.version)).toEqual([
      topology.routing.version + 1,
      topology.routing.version,
    ]);
  });
});
