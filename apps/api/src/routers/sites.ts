import {
  FederaError,
  checkEndpoint,
  operatorFilterSchema,
  siteRefSchema,
  siteSchema,
  type Site,
  type Topology,
} from '@federa/domain';
import type { Principal } from '@federa/auth';
import type { ApiDeps } from '../context';
import { operatorOrAdminProcedure, router } from '../trpc';
import { allowedEndpointProcedures } from './allowed-endpoints';

const siteInputSchema = siteSchema.omit({ emulator: true, status: true });
const siteUpdateSchema = siteRefSchema.extend({
  patch: siteSchema
    .pick({ city: true, location: true, endpoint: true, models: true })
    .partial()
    .refine((p) => Object.keys(p).length > 0, 'patch is empty'),
});

/** The site as the API shows it (never the dev emulator profile). */
function view(site: Site) {
  const { emulator: _emulator, ...rest } = site;
  return rest;
}

/** The endpoint, normalised, if the operator's allow-list covers it (ENDPOINT_NOT_ALLOWED if not). */
function allowedEndpoint(t: Topology, operatorId: string, endpoint: string): string {
  const operator = t.operators.find((o) => o.id === operatorId);
  if (!operator) throw new FederaError('VALIDATION_FAILED', `unknown operator '${operatorId}'`);
  return checkEndpoint(endpoint, operator.allowedEndpoints, operatorId);
}

function findOwned(t: Topology, siteId: string, scope: string | null): Site {
  const site = t.sites.find((s) => s.id === siteId);
  // an operator cannot even learn whether another operator's site exists
  if (!site || (scope !== null && site.operator !== scope))
    throw new FederaError('NOT_FOUND', `no site '${siteId}' of yours`);
  return site;
}

export const sitesRouter = router({
  ...allowedEndpointProcedures,

  /** Admins see every site; an operator sees its own. */
  list: operatorOrAdminProcedure.input(operatorFilterSchema).query(async ({ ctx, input }) => {
    const { topology } = await ctx.deps.topology();
    const operator = ctx.scope ?? input.operator;
    return topology.sites.filter((s) => !operator || s.operator === operator).map(view);
  }),

  register: operatorOrAdminProcedure.input(siteInputSchema).mutation(async ({ ctx, input }) => {
    if (ctx.scope !== null && input.operator !== ctx.scope) {
      throw new FederaError('FORBIDDEN', `an operator registers sites for itself only ('${ctx.scope}')`);
    }
    const { result } = await ctx.deps.registry.update((t) => {
      // the caller's own input is judged first, so what a refusal says never depends on whether
      // (or whose) a site with this id exists
      const endpoint = allowedEndpoint(t, input.operator, input.endpoint);
      if (t.sites.some((s) => s.id === input.id))
        throw new FederaError('CONFLICT', `site id '${input.id}' is not available`);
      const site: Site = { ...input, endpoint, status: 'active' };
      return { topology: { ...t, sites: [...t.sites, site] }, result: site };
    });
    await ctx.deps.audit.append(ctx.principal, 'sites.register', `site:${input.id}`, null, view(result));
    return view(result);
  }),

  update: operatorOrAdminProcedure.input(siteUpdateSchema).mutation(async ({ ctx, input }) => {
    const { result } = await ctx.deps.registry.update((t) => {
      const before = findOwned(t, input.siteId, ctx.scope);
      const after: Site = { ...before, ...input.patch };
      if (input.patch.endpoint !== undefined)
        after.endpoint = allowedEndpoint(t, before.operator, input.patch.endpoint);
      return {
        topology: { ...t, sites: t.sites.map((s) => (s.id === before.id ? after : s)) },
        result: { before, after },
      };
    });
    await ctx.deps.audit.append(
      ctx.principal,
      'sites.update',
      `site:${input.siteId}`,
      view(result.before),
      view(result.after),
    );
    return view(result.after);
  }),

  /** Stop new routes to the site at once; requests already there finish. */
  drain: operatorOrAdminProcedure
    .input(siteRefSchema)
    .mutation(async ({ ctx, input }) => setStatus(ctx, input.siteId, 'draining', 'sites.drain')),
  undrain: operatorOrAdminProcedure
    .input(siteRefSchema)
    .mutation(async ({ ctx, input }) => setStatus(ctx, input.siteId, 'active', 'sites.undrain')),

  /**
   * Health (circuit breaker, probes, live agent) and load of the sites in scope, with the latency
   * EWMA the router ranks them by, per client region (the tenants' regions) and its sample count,
   * which grows by one per served request. Admins also see the shared Redis's memory; operators do
   * not (it is the federation's infrastructure, not theirs).
   */
  health: operatorOrAdminProcedure.input(operatorFilterSchema).query(async ({ ctx, input }) => {
    const { topology } = await ctx.deps.topology();
    const operator = ctx.scope ?? input.operator;
    const sites = topology.sites.filter((s) => !operator || s.operator === operator);
    const ids = sites.map((s) => s.id);
    const regions = [...new Set(topology.tenants.map((t) => t.region))].sort();
    const [states, inflight, noAgent, redis, latencies] = await Promise.all([
      ctx.deps.health.states(ids),
      ctx.deps.observations.inflight(ids),
      ctx.deps.health.agents.withoutAgent(ids),
      ctx.scope === null ? ctx.deps.health.storeMemory() : Promise.resolve(undefined),
      Promise.all(regions.map((r) => ctx.deps.observations.latency(r, ids))),
    ]);
    return {
      sites: sites.map((s, i) => ({
        ...states[i]!,
        operator: s.operator,
        status: s.status,
        agent: noAgent.has(s.id) ? ('none' as const) : ('live' as const),
        inflight: inflight.get(s.id) ?? 0,
        capacity: Object.fromEntries(s.models.map((m) => [m.id, m.capacity])),
        latency: regions.flatMap((region, r) => {
          const seen = latencies[r]!.get(s.id);
          return seen ? [{ region, ewmaMs: seen.rttEwmaMs, samples: seen.samples }] : [];
        }),
      })),
      ...(redis ? { redis } : {}),
    };
  }),
});

async function setStatus(
  ctx: {
    deps: ApiDeps;
    principal: Principal;
    scope: string | null;
  },
  siteId: string,
  status: Site['status'],
  procedure: string,
) {
  const { result } = await ctx.deps.registry.update((t) => {
    const before = findOwned(t, siteId, ctx.scope);
    const after: Site = { ...before, status };
    return {
      topology: { ...t, sites: t.sites.map((s) => (s.id === siteId ? after : s)) },
      result: { before, after },
    };
  });
  await ctx.deps.audit.append(
    ctx.principal,
    procedure,
    `site:${siteId}`,
    { status: result.before.status },
    { status: result.after.status },
  );
  return view(result.after);
}
