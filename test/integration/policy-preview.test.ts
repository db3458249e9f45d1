/**
 * `policy.preview`: which sites each tenant would get under a candidate routing policy, next to the
 * policy in force, computed as routing computes it — and it changes nothing (no version, no audit
 * entry). Once the candidate is saved, the next request takes the route the preview predicted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_EMBEDDING_MODEL, TEST_MODEL, testTopology } from '../support/topology';

interface Route {
  candidates: { rank: number; siteId: string; home: boolean; score: number }[];
  excluded: { siteId: string; reason: string }[];
}
interface Preview {
  model: string;
  models: string[];
  currentVersion: number;
  candidateVersion: number;
  tenants: { tenantId: string; current: Route; candidate: Route; changed: boolean }[];
}

describe('policy.preview', () => {
  const s = uniqueSuffix();
  let fed: Federation;
  let admin: string;
  const PRICE_ONLY = { weights: { latency: 0, load: 0, price: 1 } };

  beforeAll(async () => {
    fed = await startFederation(testTopology(s));
    admin = await fed.token('admin', `preview-${s}@federation`);
  });
  afterAll(async () => fed?.close());

  const preview = async (input: unknown) => {
    const res = await fed.call('policy.preview', input, admin, { method: 'GET' });
    expect(res.status).toBe(200);
    return res.body.result.data as Preview;
  };
  const tenant = (p: Preview, id: string) => p.tenants.find((t) => t.tenantId === `${s}-${id}`)!;
  const sites = (r: Route) => r.candidates.map((c) => c.siteId);

  it('ranks every tenant under the current and the candidate policy', async () => {
    const p = await preview({ policy: PRICE_ONLY, model: TEST_MODEL });
    expect(p).toMatchObject({ model: TEST_MODEL, currentVersion: 1, candidateVersion: 2 });
    expect(p.models).toEqual([TEST_EMBEDDING_MODEL, TEST_MODEL].sort());
    // without a model: the one most sites serve (the chat model, on all six)
    expect((await preview({ policy: PRICE_ONLY })).model).toBe(TEST_MODEL);
    expect(p.tenants.map((t) => t.tenantId)).toEqual(['any', 'eu', 'fr', 'poor'].map((x) => `${s}-${x}`));
    // the London EU tenant: Paris is nearest; price alone picks Albion's cheaper Stockholm
    const eu = tenant(p, 'eu');
    expect(sites(eu.current)[0]).toBe(`${s}-par`);
    expect(sites(eu.candidate)[0]).toBe(`${s}-sto`);
    expect(eu.changed).toBe(true);
    expect(new Set(sites(eu.candidate))).toEqual(new Set(['par', 'fra', 'sto'].map((x) => `${s}-${x}`)));
    expect(eu.candidate.excluded).toContainEqual({
      siteId: `${s}-lon`,
      jurisdiction: 'GB',
      reason: 'OUTSIDE_RESIDENCY',
    });
    // France-only: one site whatever the weights
    const fr = tenant(p, 'fr');
    expect(sites(fr.current)).toEqual([`${s}-par`]);
    expect(sites(fr.candidate)).toEqual([`${s}-par`]);
    expect(fr.changed).toBe(false);
  });

  it('shows a per-tenant exclusion of the candidate with its reason', async () => {
    const p = await preview({
      policy: { tenantOverrides: { [`${s}-eu`]: { excludedSites: [`${s}-par`] } } },
      model: TEST_MODEL,
    });
    const eu = tenant(p, 'eu');
    expect(sites(eu.candidate)).not.toContain(`${s}-par`);
    expect(eu.candidate.excluded).toContainEqual({
      siteId: `${s}-par`,
      jurisdiction: 'FR',
      reason: 'EXCLUDED_BY_POLICY',
    });
    expect(sites(eu.current)[0]).toBe(`${s}-par`);
  });

  it('takes a candidate too large for a URL as a POSTed query, as the console sends it', async () => {
    // a valid policy may exclude up to 1,000 sites per tenant: far more than a URL holds
    const excludedSites = [`${s}-par`, ...Array.from({ length: 999 }, (_, i) => `${s}-gone-${i}`)];
    const input = { policy: { tenantOverrides: { [`${s}-eu`]: { excludedSites } } }, model: TEST_MODEL };
    expect(encodeURIComponent(JSON.stringify(input)).length).toBeGreaterThan(16 * 1024);
    const tooLong = await fetch(
      `${fed.api.url}/trpc/policy.preview?input=${encodeURIComponent(JSON.stringify(input))}`,
      { headers: { authorization: `Bearer ${admin}` } },
    );
    expect(tooLong.status).toBe(431);
    const posted = await fed.call('policy.preview', input, admin, { method: 'POST' });
    expect(posted.status).toBe(200);
    const eu = tenant(posted.body.result.data as Preview, 'eu');
    expect(sites(eu.candidate)).not.toContain(`${s}-par`);
    expect(eu.candidate.excluded).toContainEqual({
      siteId: `${s}-par`,
      jurisdiction: 'FR',
      reason: 'EXCLUDED_BY_POLICY',
    });
    // previewing saved nothing
    expect(
      (await fed.call('policy.history', undefined, admin, { method: 'GET' })).body.result.data,
    ).toHaveLength(1);
  });

  it('changes nothing: no policy version and no audit entry', async () => {
    const history = async () =>
      (await fed.call('policy.history', undefined, admin, { method: 'GET' })).body.result.data as unknown[];
    // the audit stream is shared by every suite: look for entries by this test's own admin
    const mine = async () =>
      (
        (await fed.call('audit.list', { limit: 200 }, admin, { method: 'GET' })).body.result.data.entries as {
          actor: { subject: string };
        }[]
      ).filter((e) => e.actor.subject === `preview-${s}@federation`);
    const before = await history();
    await preview({ policy: PRICE_ONLY });
    expect(await history()).toEqual(before);
    expect(await mine()).toEqual([]);
    const policy = (await fed.call('policy.get', undefined, admin, { method: 'GET' })).body.result.data;
    expect(policy.version).toBe(1);
  });

  it('refuses an invalid candidate with VALIDATION_FAILED', async () => {
    const res = await fed.call(
      'policy.preview',
      { policy: { weights: { latency: 0, load: 0, price: 0 } } },
      admin,
      { method: 'GET' },
    );
    expect(res.status).toBe(400);
    expect(res.body.error.data.federaCode).toBe('VALIDATION_FAILED');
  });

  it('predicts the route the next request takes once the candidate is saved', async () => {
    const p = await preview({ policy: PRICE_ONLY, model: TEST_MODEL });
    const saved = await fed.call('policy.set', PRICE_ONLY, admin);
    expect(saved.body.result.data.version).toBe(p.candidateVersion);
    const token = await fed.token('tenant', `${s}-eu`);
    const served = await fed.call('inference.complete', chat(`preview-${s}`), token);
    expect(served.status).toBe(200);
    expect(served.body.result.data.route).toMatchObject({
      siteId: tenant(p, 'eu').candidate.candidates[0]!.siteId,
      policyVersion: p.candidateVersion,
    });
  });
});
