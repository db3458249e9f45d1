/**
 * What operators and tenants may steer or see: site endpoints only within the operator's allow-list
 * (set by admins, audited), a taken site id answered the same way whoever owns it, tenants' route
 * explanations without operators' wholesale prices, Redis memory in `sites.health` for admins only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_MODEL, testTopology } from '../support/topology';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';

describe('operator inputs', () => {
  const s = uniqueSuffix();
  const rhein = `${s}-rhein`;
  const albion = `${s}-albion`;
  let fed: Federation;
  let admin: string;
  let rheinToken: string;
  let albionToken: string;

  const newSite = (id: string, operator: string, endpoint: string) => ({
    id,
    operator,
    jurisdiction: 'DE',
    city: 'Berlin',
    location: { lat: 52.52, lon: 13.4 },
    endpoint,
    models: [{ id: TEST_MODEL, capacity: 4 }],
  });
  const auditMarker = async () =>
    (await fed.call('audit.list', { limit: 1 }, admin, { method: 'GET' })).body.result.data.entries[0]?.id as
      string | undefined;
  const auditSince = async (marker: string | undefined) => {
    const all = (await fed.call('audit.list', { limit: 50 }, admin, { method: 'GET' })).body.result.data
      .entries as { id: string; procedure: string; target: string; before: unknown; after: unknown }[];
    const stop = all.findIndex((e) => e.id === marker);
    return stop < 0 ? all : all.slice(0, stop);
  };

  beforeAll(async () => {
    fed = await startFederation(testTopology(s));
    admin = await fed.token('admin', 'ops@federation');
    rheinToken = await fed.token('operator', rhein);
    albionToken = await fed.token('operator', albion);
  });
  afterAll(async () => fed?.close());

  it('refuses site endpoints outside the operator’s allow-list and changes nothing', async () => {
    const version = await fed.registry.version();
    const marker = await auditMarker();
    // nothing allowed yet: even loopback is refused
    const none = await fed.call(
      'sites.register',
      newSite(`${s}-ber`, rhein, 'http://127.0.0.1:9'),
      rheinToken,
    );
    expect(none.status).toBe(403);
    expect(none.body.error.data.federaCode).toBe('ENDPOINT_NOT_ALLOWED');

    const set = await fed.call(
      'sites.setAllowedEndpoints',
      { operator: rhein, allowedEndpoints: ['https://*.gpu.rhein.example', 'http://127.0.0.1'] },
      admin,
    );
    expect(set.status).toBe(200);
    // operators read their own list but cannot change it
    const own = await fed.call('sites.allowedEndpoints', {}, rheinToken, { method: 'GET' });
    expect(own.body.result.data).toEqual([
      { operator: rhein, allowedEndpoints: ['http://127.0.0.1', 'https://*.gpu.rhein.example'] },
    ]);
    const selfService = await fed.call(
      'sites.setAllowedEndpoints',
      { operator: rhein, allowedEndpoints: ['http://169.254.169.254'] },
      rheinToken,
    );
    expect(selfService.status).toBe(403);
    const afterSet = await fed.registry.version();
    expect(afterSet).toBe(version + 1);

    for (const endpoint of [
      'http://169.254.169.254/latest/meta-data', // cloud metadata
      'http://127.0.0.1:9101@evil.example', // userinfo trick
      'http://user:secret@127.0.0.1:9101', // credentials in the URL
      'https://gpu.rhein.example.evil.example',
      'http://fra.gpu.rhein.example', // scheme not allowed for that host
      'file:///etc/passwd',
    ]) {
      const res = await fed.call('sites.register', newSite(`${s}-ber`, rhein, endpoint), rheinToken);
      expect([endpoint, res.status, res.body.error?.data?.federaCode]).toEqual([
        endpoint,
        403,
        'ENDPOINT_NOT_ALLOWED',
      ]);
    }
    const existing = `${s}-fra`;
    const moved = await fed.call(
      'sites.update',
      { siteId: existing, patch: { endpoint: 'http://10.0.0.1:8080' } },
      rheinToken,
    );
    expect(moved.status).toBe(403);
    expect(moved.body.error.data.federaCode).toBe('ENDPOINT_NOT_ALLOWED');
    expect((await fed.registry.snapshot()).site(existing).endpoint).toBe(
      fed.topology.site(existing).endpoint,
    );
    expect(await fed.registry.version()).toBe(afterSet);

    // an allowed endpoint registers, normalised
    const ok = await fed.call(
      'sites.register',
      newSite(`${s}-ber`, rhein, 'https://ber.gpu.rhein.example:8443/'),
      rheinToken,
    );
    expect(ok.status).toBe(200);
    expect(ok.body.result.data.endpoint).toBe('https://ber.gpu.rhein.example:8443');
    await fed.call('sites.drain', { siteId: `${s}-ber` }, rheinToken); // nothing listens there

    const entries = await auditSince(marker);
    expect(entries.map((e) => e.procedure)).toEqual([
      'sites.drain',
      'sites.register',
      'sites.setAllowedEndpoints',
    ]);
    expect(entries[2]).toMatchObject({
      target: `operator:${rhein}`,
      before: { allowedEndpoints: [] },
      after: { allowedEndpoints: ['http://127.0.0.1', 'https://*.gpu.rhein.example'] },
    });
  });

  it('answers a taken site id the same way whoever owns it', async () => {
    for (const [operator, list] of [
      [rhein, ['http://127.0.0.1']],
      [albion, ['http://127.0.0.1']],
    ] as const)
      await fed.call('sites.setAllowedEndpoints', { operator, allowedEndpoints: list }, admin);
    const version = await fed.registry.version();
    // albion re-registers its own London site, then rhein's Paris site
    const ownId = await fed.call(
      'sites.register',
      newSite(`${s}-lon`, albion, 'http://127.0.0.1:9'),
      albionToken,
    );
    const othersId = await fed.call(
      'sites.register',
      newSite(`${s}-par`, albion, 'http://127.0.0.1:9'),
      albionToken,
    );
    const strip = (r: typeof ownId) => ({
      status: r.status,
      code: r.body.error.data.federaCode,
      message: String(r.body.error.message).replace(/'[^']*'/g, "'…'"),
    });
    expect(strip(ownId)).toEqual({ status: 409, code: 'CONFLICT', message: "site id '…' is not available" });
    expect(strip(othersId)).toEqual(strip(ownId));
    expect(othersId.body.error.message).not.toContain('update');
    expect(await fed.registry.version()).toBe(version);
    expect((await fed.registry.snapshot()).site(`${s}-par`).operator).toBe(rhein);
  });

  it('shows tenants ranks and reasons, never operators’ wholesale prices', async () => {
    const tenant = await fed.token('tenant', `${s}-any`);
    const res = await fed.call('routing.explain', { model: TEST_MODEL }, tenant, { method: 'GET' });
    expect(res.status).toBe(200);
    const d = res.body.result.data as { candidates: Record<string, unknown>[]; excluded: unknown[] };
    expect(d.candidates.length).toBeGreaterThan(1);
    expect(d.candidates.map((c) => c.rank)).toEqual(d.candidates.map((_, i) => i + 1));
    for (const c of d.candidates) {
      expect(c).not.toHaveProperty('pricePer1M');
      expect(c).not.toHaveProperty('score');
    }
    // no wholesale figure of the topology appears anywhere in the answer
    const text = JSON.stringify(res.body);
    for (const o of fed.topology.topology.operators)
      for (const card of Object.values(o.rateCard))
        for (const price of [
          card.wholesale.inputPer1M,
          card.wholesale.outputPer1M,
          card.wholesale.inputPer1M + card.wholesale.outputPer1M,
        ].filter((p) => p >= 1_000))
          // a price of 0 (embeddings' output) or a few digits is in any JSON
          expect(text).not.toContain(String(price));
  });

  it('shows Redis memory in sites.health to admins, not to operators', async () => {
    const asAdmin = (await fed.call('sites.health', {}, admin, { method: 'GET' })).body.result.data;
    expect(asAdmin.redis).toEqual({
      usedBytes: expect.any(Number),
      maxBytes: expect.any(Number),
      policy: expect.any(String),
    });
    expect(asAdmin.redis.usedBytes).toBeGreaterThan(0);
    expect(asAdmin.redis.policy).not.toBe('unknown');
    const asOperator = (await fed.call('sites.health', {}, rheinToken, { method: 'GET' })).body.result.data;
    expect(asOperator).not.toHaveProperty('redis');
    expect(asOperator.sites.every((h: { operator: string }) => h.operator === rhein)).toBe(true);
  });

  it('shows each site’s latency EWMA per client region in sites.health, one sample per served request', async () => {
    type Health = { siteId: string; latency: { region: string; ewmaMs: number; samples: number }[] };
    const latencyOf = async (siteId: string) =>
      (
        (await fed.call('sites.health', {}, rheinToken, { method: 'GET' })).body.result.data.sites as Health[]
      ).find((h) => h.siteId === siteId)!.latency;
    const before = (await latencyOf(`${s}-par`)).find((l) => l.region === 'fr')?.samples ?? 0;
    // the France-only tenant (client region 'fr') can only be served in Paris
    const served = await fed.call(
      'inference.complete',
      chat(`ewma-${s}`),
      await fed.token('tenant', `${s}-fr`),
    );
    expect(served.body.result.data.route.siteId).toBe(`${s}-par`);
    await expect
      .poll(async () => (await latencyOf(`${s}-par`)).find((l) => l.region === 'fr')?.samples)
      .toBe(before + 1);
    const fr = (await latencyOf(`${s}-par`)).find((l) => l.region === 'fr')!;
    expect(fr.ewmaMs).toBeGreaterThanOrEqual(0);
    expect((await latencyOf(`${s}-fra`)).some((l) => l.region === 'fr')).toBe(false);
  });
});
