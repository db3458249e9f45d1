import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FederaError } from './errors';
import { BUILTIN_GROUPS, ISO_COUNTRIES } from './jurisdictions';
import { planRoute, rankSites, type RouteContext, type SiteObservation } from './routing';
import { TopologyIndex, parseTopology, type TopologyInput } from './topology';

const MODEL = 'm-1';
const price = { retail: { inputPer1M: 10, outputPer1M: 20 }, wholesale: { inputPer1M: 5, outputPer1M: 10 } };

function topology(
  sites: {
    id: string;
    j: string;
    lat: number;
    lon: number;
    status?: 'active' | 'draining' | 'down';
    model?: string;
  }[],
  residency: string[],
): TopologyIndex {
  const input: TopologyInput = {
    name: 't',
    operators: [
      { id: 'op', name: 'Op', country: 'DE', currency: 'EUR', rateCard: { [MODEL]: price, other: price } },
    ],
    sites: sites.map((s) => ({
      id: s.id,
      operator: 'op',
      jurisdiction: s.j,
      city: s.id,
      location: { lat: s.lat, lon: s.lon },
      endpoint: 'http://127.0.0.1:1',
      status: s.status ?? 'active',
      models: [{ id: s.model ?? MODEL, capacity: 10 }],
    })),
    tenants: [
      {
        id: 'ten',
        name: 'T',
        homeOperator: 'op',
        residency,
        budget: 1,
        region: 'r',
        location: { lat: 51.5, lon: -0.12 },
      },
    ],
  };
  return new TopologyIndex(parseTopology(input));
}

function ctx(
  t: TopologyIndex,
  latency = new Map<string, SiteObservation>(),
  inflight = new Map<string, number>(),
): RouteContext {
  return { topology: t, policy: t.topology.routing, latency, inflight };
}

describe('routing', () => {
  const sites = [
    { id: 'lon', j: 'GB', lat: 51.51, lon: -0.13 },
    { id: 'par', j: 'FR', lat: 48.86, lon: 2.35 },
    { id: 'fra', j: 'DE', lat: 50.11, lon: 8.68 },
    { id: 'ash', j: 'US', lat: 39.04, lon: -77.49 },
  ];

  it('filters by residency before ranking by latency', () => {
    const d = planRoute(ctx(topology(sites, ['EU'])), { tenantId: 'ten', model: MODEL });
    expect(d.candidates.map((c) => c.siteId)).toEqual(['par', 'fra']);
    expect(d.excluded).toEqual([
      { siteId: 'ash', jurisdiction: 'US', reason: 'OUTSIDE_RESIDENCY' },
      { siteId: 'lon', jurisdiction: 'GB', reason: 'OUTSIDE_RESIDENCY' },
    ]);
  });

  it('uses the physical prior until measurements exist, then the EWMA', () => {
    const t = topology(sites, ['ANY']);
    expect(planRoute(ctx(t), { tenantId: 'ten', model: MODEL }).candidates[0]?.siteId).toBe('lon');
    const slowLondon = new Map([['lon', { rttEwmaMs: 400, samples: 20 }]]);
    const d = planRoute(ctx(t, slowLondon), { tenantId: 'ten', model: MODEL });
    expect(d.candidates[0]?.siteId).toBe('par');
    expect(d.candidates.find((c) => c.siteId === 'lon')?.latencySource).toBe('measured');
  });

  it('excludes draining, down and model-less sites, with reasons', () => {
    const t = topology(
      [
        { id: 'a', j: 'FR', lat: 48, lon: 2, status: 'draining' },
        { id: 'b', j: 'FR', lat: 48, lon: 2, status: 'down' },
        { id: 'c', j: 'FR', lat: 48, lon: 2, model: 'other' },
        { id: 'd', j: 'FR', lat: 48, lon: 2 },
      ],
      ['FR'],
    );
    const d = rankSites(ctx(t), { tenantId: 'ten', model: MODEL });
    expect(d.candidates.map((c) => c.siteId)).toEqual(['d']);
    expect(Object.fromEntries(d.excluded.map((e) => [e.siteId, e.reason]))).toEqual({
      a: 'DRAINING',
      b: 'DOWN',
      c: 'MODEL_MISSING',
    });
  });

  it('excludes sites without a live agent (NO_AGENT) and routes to the rest', () => {
    const t = topology(sites, ['EU']);
    const d = planRoute({ ...ctx(t), noAgent: new Set(['par']) }, { tenantId: 'ten', model: MODEL });
    expect(d.candidates.map((c) => c.siteId)).toEqual(['fra']);
    expect(d.excluded).toContainEqual({ siteId: 'par', jurisdiction: 'FR', reason: 'NO_AGENT' });
    // residency still comes first: an agentless site outside it is excluded for residency
    const outside = rankSites({ ...ctx(t), noAgent: new Set(['ash']) }, { tenantId: 'ten', model: MODEL });
    expect(outside.excluded).toContainEqual({
      siteId: 'ash',
      jurisdiction: 'US',
      reason: 'OUTSIDE_RESIDENCY',
    });
  });

  it('throws NO_ELIGIBLE_SITE when nothing qualifies', () => {
    expect(() => planRoute(ctx(topology(sites, ['JP'])), { tenantId: 'ten', model: MODEL })).toThrow(
      expect.objectContaining({ code: 'NO_ELIGIBLE_SITE' }),
    );
  });

  it('never selects a site outside the effective residency, for random topologies and requests', () => {
    const countries = ['DE', 'FR', 'SE', 'GB', 'US', 'JP', 'CH', 'NO', 'IT', 'ES'];
    const groupNames = ['EU', 'EEA', 'ANY'];
    const siteArb = fc.record({
      j: fc.constantFrom(...countries),
      lat: fc.double({ min: -60, max: 70, noNaN: true }),
      lon: fc.double({ min: -179, max: 179, noNaN: true }),
      status: fc.constantFrom<'active' | 'draining' | 'down'>('active', 'active', 'draining', 'down'),
    });
    fc.assert(
      fc.property(
        fc.array(siteArb, { minLength: 1, maxLength: 12 }),
        fc.subarray([...countries, ...groupNames], { minLength: 1 }),
        fc.option(fc.subarray(countries, { minLength: 1 }), { nil: undefined }),
        fc.array(
          fc.tuple(fc.nat({ max: 11 }), fc.double({ min: 0, max: 500, noNaN: true }), fc.nat({ max: 30 })),
        ),
        (rawSites, policy, narrowing, samples) => {
          const t = topology(
            rawSites.map((s, i) => ({ ...s, id: `s${i}` })),
            policy,
          );
          const latency = new Map(samples.map(([i, ms, n]) => [`s${i}`, { rttEwmaMs: ms, samples: n }]));
          const allowedByPolicy = new Set(
            policy.flatMap((p) => (ISO_COUNTRIES.has(p) ? [p] : [...(BUILTIN_GROUPS[p] ?? [])])),
          );
          let decision;
          try {
            decision = rankSites(ctx(t, latency), { tenantId: 'ten', model: MODEL, residency: narrowing });
          } catch (err) {
            // refusing is always safe; it must only happen for a widening request
            expect(err).toBeInstanceOf(FederaError);
            expect((err as FederaError).code).toBe('RESIDENCY_VIOLATION');
            expect(narrowing!.some((c) => !allowedByPolicy.has(c))).toBe(true);
            return;
          }
          const effective = narrowing ? new Set(narrowing) : allowedByPolicy;
          for (const c of decision.candidates) {
            expect(effective.has(c.jurisdiction)).toBe(true);
            expect(allowedByPolicy.has(c.jurisdiction)).toBe(true);
          }
          // every site is accounted for: a candidate or excluded with a reason
          expect(decision.candidates.length + decision.excluded.length).toBe(rawSites.length);
          // deterministic: the same inputs give the same decision
          expect(rankSites(ctx(t, latency), { tenantId: 'ten', model: MODEL, residency: narrowing })).toEqual(
            decision,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
