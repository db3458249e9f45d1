/**
 * API keys end to end on the real stack (Temporal, Redis, emulated sites): a tenant creates a key
 * (the secret shown once, stored only as a hash), lists and revokes it; `Bearer fed_…` calls the
 * API as the tenant within the key's scope (residency, models, expiry) and its budget and tokens
 * per minute are enforced with the tenant's in the same ledger call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '@federa/auth';
import { tenantKeys } from '@federa/ledger';
import { runCli } from '../support/cli';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';

describe('API keys', () => {
  const s = uniqueSuffix();
  const tenant = `${s}-eu`;
  const other = `${s}-fr`;
  let fed: Federation;
  let session: string;
  let otherSession: string;

  beforeAll(async () => {
    // pinned: every completion uses its whole max_tokens, so rate-limit refunds are known
    fed = await startFederation(testTopology(s), { behaviour: { completionTokens: 10_000 } });
    session = await fed.token('tenant', tenant);
    otherSession = await fed.token('tenant', other);
  });
  afterAll(async () => fed?.close());

  async function createKey(input: Record<string, unknown>, token = session) {
    const res = await fed.call('keys.create', input, token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.result.data as {
      id: string;
      secret: string;
      name: string;
      limits: Record<string, unknown>;
    };
  }
  const list = async (token = session) =>
    (await fed.call('keys.list', undefined, token, { method: 'GET' })).body.result.data.keys as {
      id: string;
      secret?: string;
      revokedAt: string | null;
      usage: { posted: number; pending: number } | null;
    }[];
  const spend = async () => {
    const a = await fed.ledger.account(tenant);
    return { posted: a.posted, pending: a.pending, records: await fed.ledger.usageCount(tenant) };
  };

  it('shows the secret once, stores only its hash, and lists keys without secrets', async () => {
    const key = await createKey({ name: 'ci pipeline' });
    expect(key.secret).toMatch(/^fed_[A-Za-z0-9_-]{43}$/);
    expect(key.id).toMatch(/^key_/);
    const listed = (await list()).find((k) => k.id === key.id);
    expect(listed).toMatchObject({ name: 'ci pipeline', revokedAt: null, usage: { posted: 0, pending: 0 } });
    expect(JSON.stringify(await list())).not.toContain(key.secret);
    expect(JSON.stringify(await list())).not.toContain(hashApiKey(key.secret));
    // in Redis: the hash, never the secret
    const stored = await fed.redis.hgetall(tenantKeys(tenant).apiKeys);
    expect(JSON.stringify(stored)).not.toContain(key.secret);
    expect(await fed.redis.exists(`federa:apikey:${hashApiKey(key.secret)}`)).toBe(1);
    // audited without the secret
    const admin = await fed.token('admin', 'alice@federation');
    const audit = await fed.call('audit.list', { limit: 50 }, admin, { method: 'GET' });
    const entry = audit.body.result.data.entries.find(
      (e: { target: string }) => e.target === `tenant:${tenant}/${key.id}`,
    );
    expect(entry).toMatchObject({ procedure: 'keys.create', actor: { role: 'tenant', subject: tenant } });
    expect(JSON.stringify(entry)).not.toContain(key.secret);
  });

  it('serves a request made with a key, charged to the tenant and to the key', async () => {
    const key = await createKey({ name: 'app' });
    const res = await fed.call('inference.complete', chat(`${s}-k1`), key.secret);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.result.data.charge.amount).toBeGreaterThan(0);
    const usage = (await list()).find((k) => k.id === key.id)!.usage!;
    expect(usage).toMatchObject({ posted: res.body.result.data.charge.amount, pending: 0 });
    // a key acts as its tenant for the tenant's other procedures; the record names the key
    const summary = await fed.call('usage.summary', undefined, key.secret, { method: 'GET' });
    expect(summary.status).toBe(200);
    const records = await fed.call('usage.list', { limit: 20 }, key.secret, { method: 'GET' });
    expect(
      records.body.result.data.records.find((r: { requestId: string }) => r.requestId === `${s}-k1`),
    ).toMatchObject({ apiKeyId: key.id });
  });

  it('refuses unknown, malformed and revoked keys with one message; revocation takes effect at once', async () => {
    const key = await createKey({ name: 'to revoke' });
    expect((await fed.call('usage.summary', undefined, key.secret, { method: 'GET' })).status).toBe(200);
    const revoked = await fed.call('keys.revoke', { id: key.id }, session);
    expect(revoked.status).toBe(200);
    expect(revoked.body.result.data.revokedAt).toEqual(expect.any(String));
    const answers = await Promise.all(
      [key.secret, `fed_${'A'.repeat(43)}`, 'fed_short'].map((secret) =>
        fed.call('usage.summary', undefined, secret, { method: 'GET' }),
      ),
    );
    for (const res of answers) {
      expect(res.status).toBe(401);
      expect(res.body.error.data.federaCode).toBe('UNAUTHENTICATED');
      expect(res.body.error.message).toBe('invalid API key');
    }
    expect(await fed.redis.exists(`federa:apikey:${hashApiKey(key.secret)}`)).toBe(0);
    expect((await list()).find((k) => k.id === key.id)?.revokedAt).toEqual(expect.any(String));
    // the ledger refuses it too, whatever an API process's cache still says
    await expect(
      fed.ledger.reserve({
        tenantId: tenant,
        requestId: `${s}-rv`,
        amount: 1,
        expiresAt: Date.now() + 1000,
        apiKeyId: key.id,
      }),
    ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('holds nothing for a key the ledger knows is revoked, even while an API process still accepts it', async () => {
    const key = await createKey({ name: 'revoked elsewhere' });
    // the revocation as the ledger sees it, before this API process's lookup could know
    await fed.redis.hset(tenantKeys(tenant).keyLedger, `${key.id}|state`, 'revoked');
    const before = await spend();
    const res = await fed.call('inference.complete', chat(`${s}-rv2`), key.secret);
    expect(res.status).toBe(401);
    expect(res.body.error.data.federaCode).toBe('UNAUTHENTICATED');
    expect(res.body.error.message).toBe('invalid API key');
    expect(await spend()).toEqual(before);
  });

  it('refuses an expired key, and a key created already expired', async () => {
    const past = await fed.call('keys.create', { name: 'old', expiresAt: '2020-01-01T00:00:00Z' }, session);
    expect(past.status).toBe(400);
    expect(past.body.error.data.federaCode).toBe('VALIDATION_FAILED');
    const key = await createKey({
      name: 'expiring',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    // move its expiry into the past where it is stored (as the clock would), before any use
    const k = tenantKeys(tenant);
    const stored = JSON.parse((await fed.redis.hget(k.apiKeys, key.id))!);
    stored.limits.expiresAt = new Date(Date.now() - 1000).toISOString();
    await fed.redis.hset(k.apiKeys, key.id, JSON.stringify(stored));
    await fed.redis.hset(k.keyLedger, `${key.id}|expires`, String(Date.now() - 1000));
    const res = await fed.call('inference.complete', chat(`${s}-exp`), key.secret);
    expect(res.status).toBe(401);
    expect(res.body.error.message).toBe('invalid API key');
  });

  it('keeps tenants apart: another tenant neither sees nor revokes a key', async () => {
    const key = await createKey({ name: 'mine' });
    expect((await list(otherSession)).map((k) => k.id)).not.toContain(key.id);
    const theirs = await fed.call('keys.revoke', { id: key.id }, otherSession);
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.data.federaCode).toBe('NOT_FOUND');
    const missing = await fed.call('keys.revoke', { id: 'key_doesnotexist' }, session);
    expect(missing.body.error.message).toBe(theirs.body.error.message.replace(key.id, 'key_doesnotexist'));
    expect((await fed.call('usage.summary', undefined, key.secret, { method: 'GET' })).status).toBe(200);
    // the key authenticates as its own tenant only
    const summary = await fed.call('usage.summary', undefined, key.secret, { method: 'GET' });
    expect(summary.body.result.data.budget).toBe((await fed.ledger.account(tenant)).budget);
  });

  it('lets only a tenant session (JWT) manage keys, not a key, not another role', async () => {
    const key = await createKey({ name: 'no minting' });
    for (const [path, input, method] of [
      ['keys.create', { name: 'child' }, 'POST'],
      ['keys.list', undefined, 'GET'],
      ['keys.revoke', { id: key.id }, 'POST'],
    ] as const) {
      const res = await fed.call(path, input, key.secret, { method });
      expect(res.status, path).toBe(403);
      expect(res.body.error.data.federaCode).toBe('FORBIDDEN');
    }
    const operator = await fed.token('operator', `${s}-rhein`);
    expect((await fed.call('keys.create', { name: 'op' }, operator)).status).toBe(403);
  });

  it("applies the key's residency and model allow-list; refusals carry their codes and charge nothing", async () => {
    const widening = await fed.call('keys.create', { name: 'us', residency: ['US'] }, session);
    expect(widening.status).toBe(403);
    expect(widening.body.error.data.federaCode).toBe('RESIDENCY_VIOLATION');
    const unknownModel = await fed.call('keys.create', { name: 'm', models: ['no-such-model'] }, session);
    expect(unknownModel.body.error.data.federaCode).toBe('UNKNOWN_MODEL');

    const key = await createKey({ name: 'fr only', residency: ['FR'], models: [TEST_MODEL] });
    expect(key.limits).toMatchObject({ residency: ['FR'], models: [TEST_MODEL] });
    const served = await fed.call('inference.complete', chat(`${s}-fr1`), key.secret);
    expect(served.status, JSON.stringify(served.body)).toBe(200);
    expect(served.body.result.data.route.jurisdiction).toBe('FR');

    const before = await spend();
    const outside = await fed.call('inference.complete', chat(`${s}-de1`, { residency: ['DE'] }), key.secret);
    expect(outside.status).toBe(403);
    expect(outside.body.error.data.federaCode).toBe('RESIDENCY_VIOLATION');
    const model = await fed.call('inference.complete', chat(`${s}-m1`, { model: 'mistral-7b' }), key.secret);
    expect(model.status).toBe(403);
    expect(model.body.error.data.federaCode).toBe('MODEL_NOT_ALLOWED');
    expect(await spend()).toEqual(before);
  });

  it("enforces the key's budget while the tenant still has room, charging nothing on refusal", async () => {
    const key = await createKey({ name: 'tight budget', budget: 10 });
    const before = await spend();
    const refused = await fed.call('inference.complete', chat(`${s}-b1`), key.secret);
    expect(refused.status).toBe(402);
    expect(refused.body.error.data.federaCode).toBe('KEY_BUDGET_EXCEEDED');
    expect(await spend()).toEqual(before);
    // the tenant has room: the same request under a session is served
    const served = await fed.call('inference.complete', chat(`${s}-b1`), session);
    expect(served.status).toBe(200);
    // and a request small enough for the key's budget is served with the key
    const small = await fed.call('inference.complete', chat(`${s}-b2`, { max_tokens: 1 }), key.secret);
    expect(small.status, JSON.stringify(small.body)).toBe(200);
    const usage = (await list()).find((k) => k.id === key.id)!.usage!;
    expect(usage.posted).toBe(small.body.result.data.charge.amount);
    expect(usage.posted).toBeLessThanOrEqual(10);
  });

  it("enforces the key's tokens per minute while the tenant still has room", async () => {
    // a request takes its input (~15 tokens) + max_tokens (64): one fits in 100, two do not
    const key = await createKey({ name: 'slow', tokensPerMinute: 100 });
    const first = await fed.call('inference.complete', chat(`${s}-t1`), key.secret);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const before = await spend();
    const second = await fed.call('inference.complete', chat(`${s}-t2`), key.secret);
    expect(second.status).toBe(429);
    expect(second.body.error.data.federaCode).toBe('KEY_RATE_LIMITED');
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await spend()).toEqual(before);
    expect((await fed.call('inference.complete', chat(`${s}-t2`), session)).status).toBe(200);
  });
});

describe('federa keys (the CLI against the API)', () => {
  const s = uniqueSuffix();
  const tenant = `${s}-eu`;
  let fed: Federation;
  let session: string;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s));
    session = await fed.token('tenant', tenant);
  });
  afterAll(async () => fed?.close());

  const cli = (...args: string[]) => runCli([...args, '--api', fed.api.url, '--token', session]);

  it('creates a key (secret printed once), lists it without the secret and revokes it', async () => {
    const created = await cli(
      'keys',
      'create',
      '--name',
      'from the cli',
      '--residency',
      'FR',
      '--budget',
      '5000000',
    );
    expect(created.code, created.stderr).toBe(0);
    const secret = /secret: (fed_[A-Za-z0-9_-]{43})/.exec(created.stdout)?.[1];
    const id = /API key (key_[A-Za-z0-9_-]+)/.exec(created.stdout)?.[1];
    expect(secret).toBeDefined();
    expect(created.stdout).toContain('shown only this once');
    expect((await fed.call('inference.complete', chat(`${s}-cli1`), secret)).status).toBe(200);

    const listed = await cli('keys', 'list', '--json');
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(secret);
    const keys = JSON.parse(listed.stdout).keys as {
      id: string;
      limits: object;
      usage: { posted: number };
    }[];
    expect(keys.find((k) => k.id === id)).toMatchObject({ limits: { residency: ['FR'], budget: 5_000_000 } });
    expect(keys.find((k) => k.id === id)!.usage.posted).toBeGreaterThan(0);
    const table = await cli('keys', 'list');
    expect(table.stdout).toMatch(/^KEY\s+NAME/);
    expect(table.stdout).toContain(id);

    const revoked = await cli('keys', 'revoke', id!);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`API key ${id} revoked`);
    expect((await fed.call('usage.summary', undefined, secret, { method: 'GET' })).status).toBe(401);

    const unknown = await cli('keys', 'revoke', 'key_nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('NOT_FOUND');
    const mistyped = await cli('keys', 'create');
    expect(mistyped.code).toBe(2);
    // each CLI run starts Node with tsx: seconds each on a busy machine
  }, 180_000);
});
