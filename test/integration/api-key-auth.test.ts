/**
 * The API-key store and its cached authenticator on a single Redis and on a Redis Cluster: a key
 * resolves to its tenant with its limits; a revocation made by one API process reaches another
 * within its cache window (and the revoking process at once); expiry is exact; nothing stored
 * holds the secret.
 */
import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyAuthenticator, ApiKeyStore, hashApiKey } from '@federa/auth';
import { tenantKeys } from '@federa/ledger';
import { uniqueSuffix } from '../support/harness';
import { REDIS_BACKENDS } from '../support/redis-backends';

describe.each(REDIS_BACKENDS)('API-key authentication on %s', (_name, connect) => {
  let redis: Redis | Cluster;
  let store: ApiKeyStore;

  beforeAll(() => {
    redis = connect();
    store = new ApiKeyStore(redis);
  });
  afterAll(() => redis.disconnect());

  it('authenticates a key as its tenant with its limits, and stores no secret', async () => {
    const t = uniqueSuffix();
    const { key, secret } = await store.create(t, { name: 'k', limits: { residency: ['FR'], budget: 7 } });
    const auth = new ApiKeyAuthenticator(store);
    await expect(auth.authenticate(secret)).resolves.toEqual({
      role: 'tenant',
      subject: t,
      tokenId: undefined,
      apiKey: { id: key.id, limits: { residency: ['FR'], budget: 7 } },
    });
    const stored = JSON.stringify([
      await redis.hgetall(tenantKeys(t).apiKeys),
      await redis.hgetall(tenantKeys(t).keyLedger),
      await redis.get(`federa:apikey:${hashApiKey(secret)}`),
    ]);
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(secret.slice(4));
  });

  it('honours a revocation made elsewhere within the cache window, and at once where it was made', async () => {
    const t = uniqueSuffix();
    const { key, secret } = await store.create(t, { name: 'k', limits: {} });
    let clock = 1_000_000;
    const elsewhere = new ApiKeyAuthenticator(store, { cacheMs: 1000, clock: () => clock });
    const here = new ApiKeyAuthenticator(store, { cacheMs: 1000, clock: () => clock });
    await elsewhere.authenticate(secret);
    await here.authenticate(secret);
    const revoked = await store.revoke(t, key.id);
    here.forget(revoked!.hash);
    await expect(here.authenticate(secret)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    // another process may still accept it until its cached lookup is a window old, never longer
    await expect(elsewhere.authenticate(secret)).resolves.toMatchObject({ subject: t });
    clock += 1000;
    await expect(elsewhere.authenticate(secret)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'invalid API key',
    });
    expect(await store.revoke(t, key.id)).toMatchObject({ already: true });
    expect(await store.revoke(uniqueSuffix(), key.id)).toBeNull();
  });

  it('refuses an expired key exactly at its expiry, cached or not, and unknown keys alike', async () => {
    const t = uniqueSuffix();
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const { secret } = await store.create(t, {
      name: 'k',
      limits: { expiresAt: '2030-01-01T00:00:10.000Z' },
    });
    const auth = new ApiKeyAuthenticator(store, { cacheMs: 60_000, clock: () => clock });
    await expect(auth.authenticate(secret)).resolves.toMatchObject({ subject: t });
    clock += 10_000;
    await expect(auth.authenticate(secret)).rejects.toMatchObject({ message: 'invalid API key' });
    await expect(auth.authenticate(`fed_${'x'.repeat(43)}`)).rejects.toMatchObject({
      message: 'invalid API key',
    });
  });

  it('shares one lookup between concurrent requests with the same key', async () => {
    const t = uniqueSuffix();
    const { secret } = await store.create(t, { name: 'k', limits: {} });
    let lookups = 0;
    const counting = Object.create(store, {
      resolve: { value: (s: string) => (lookups++, store.resolve(s)) },
    }) as ApiKeyStore;
    const auth = new ApiKeyAuthenticator(counting);
    await Promise.all(Array.from({ length: 20 }, () => auth.authenticate(secret)));
    expect(lookups).toBe(1);
  });
});
