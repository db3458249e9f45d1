/**
 * Randomised over generated topologies and policies (site states and locations, weights, home
 * preference, exclusions, tenants, narrowing): no request is ever served outside its effective
 * residency, and `routing.explain` names exactly the site the request is then served by.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_GROUPS, ISO_COUNTRIES } from '@federa/domain';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';

describe('routing.explain agrees with the route taken', () => {
  const s = uniqueSuffix();
  let fed: Federation;
  const tokens = new Map<string, string>();
  const TENANTS = ['eu', 'fr', 'any'].map((t) => `${s}-${t}`);
  const SITES = ['lon', 'par', 'fra', 'sto', 'ash', 'tyo'].map((x) => `${s}-${x}`);

  beforeAll(async () => {
    fed = await startFederation(testTopology(s));
    for (const t of TENANTS) tokens.set(t, await fed.token('tenant', t));
  });
  afterAll(async () => fed?.close());

  it('for random topologies, policies and requests', async () => {
    let n = 0;
    const outcomes = { served: 0, widening: 0, noSite: 0 };
    const weight = fc.double({ min: 0, max: 1, noNaN: true });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          statuses: fc.array(
            fc.constantFrom<'active' | 'draining' | 'down'>('active', 'active', 'active', 'draining', 'down'),
            { minLength: 6, maxLength: 6 },
          ),
          moves: fc.array(
            fc.record({
              lat: fc.double({ min: -50, max: 65, noNaN: true }),
              lon: fc.double({ min: -170, max: 170, noNaN: true }),
            }),
            { minLength: 6, maxLength: 6 },
          ),
          weights: fc
            .record({ latency: weight, load: weight, price: weight })
            .filter((w) => w.latency + w.load + w.price > 0.01),
          preferHome: fc.record({
            mode: fc.constantFrom<'off' | 'always' | 'margin'>('off', 'always', 'margin'),
            marginMs: fc.integer({ min: 0, max: 100 }),
          }),
          excluded: fc.subarray(SITES, { maxLength: 3 }),
          tenant: fc.constantFrom(...TENANTS),
          // mostly the tenant's own policy; sometimes a narrowing (which may try to widen)
          narrowing: fc.oneof(
            { weight: 3, arbitrary: fc.constant(undefined) },
            { weight: 2, arbitrary: fc.subarray(['GB', 'FR', 'DE', 'SE', 'US', 'JP'], { minLength: 1 }) },
          ),
        }),
        async (g) => {
          await fed.registry.update((t) => ({
            topology: {
              ...t,
              sites: t.sites.map((site, i) => ({ ...site, status: g.statuses[i]!, location: g.moves[i]! })),
              routing: {
                ...t.routing,
                version: t.routing.version + 1,
                weights: g.weights,
                preferHome: g.preferHome,
                tenantOverrides: { [g.tenant]: { excludedSites: g.excluded } },
              },
            },
            result: null,
          }));
          const token = tokens.get(g.tenant)!;
          const residency = g.narrowing ? { residency: g.narrowing } : {};
          const explained = await fed.call('routing.explain', { model: TEST_MODEL, ...residency }, token, {
            method: 'GET',
          });
          const served = await fed.call('inference.complete', chat(`prop-${n++}`, residency), token);

          const policy = fed.topology.tenant(g.tenant).residency;
          const allowedByPolicy = new Set(
            policy.flatMap((p) => (ISO_COUNTRIES.has(p) ? [p] : [...(BUILTIN_GROUPS[p] ?? [])])),
          );
          if (explained.status !== 200) {
            // a widening request: refused both ways, before anything is held
            expect(explained.body.error.data.federaCode).toBe('RESIDENCY_VIOLATION');
            expect(served.status).toBe(403);
            expect(g.narrowing!.some((c) => !allowedByPolicy.has(c))).toBe(true);
            outcomes.widening++;
            return;
          }
          const plan = explained.body.result.data as {
            candidates: { siteId: string; jurisdiction: string }[];
            allowedJurisdictions: string[];
          };
          for (const c of plan.candidates) {
            expect(plan.allowedJurisdictions).toContain(c.jurisdiction);
            expect(allowedByPolicy.has(c.jurisdiction)).toBe(true);
            expect(g.excluded).not.toContain(c.siteId);
          }
          if (plan.candidates.length === 0) {
            expect(served.status).toBe(503);
            expect(served.body.error.data.federaCode).toBe('NO_ELIGIBLE_SITE');
            outcomes.noSite++;
            return;
          }
          expect(served.status).toBe(200);
          const route = served.body.result.data.route as {
            siteId: string;
            jurisdiction: string;
            candidates: string[];
          };
          expect(route.siteId).toBe(plan.candidates[0]!.siteId);
          expect(route.candidates).toEqual(plan.candidates.map((c) => c.siteId));
          expect(plan.allowedJurisdictions).toContain(route.jurisdiction);
          expect(allowedByPolicy.has(route.jurisdiction)).toBe(true);
          outcomes.served++;
        },
      ),
      { numRuns: 60 },
    );
    console.log(`explain property outcomes: ${JSON.stringify(outcomes)}`);
    // the generator must exercise the interesting path, not only refusals
    expect(outcomes.served).toBeGreaterThanOrEqual(8);
  }, 120_000);
});
