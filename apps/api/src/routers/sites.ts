import {
  FederaError,
  operatorFilterSchema,
  siteRefSchema,
  siteSchema,
  type Site,
  type Topology,
} from '@federa/domain';
import type { Principal } from '@federa/auth';
import type { ApiDeps } from '../context';
import { operatorOrAdminProcedure, router } from '../trpc';

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

function findOwned(t: Topology, siteId: string, scope: string | null): Site {
  const site = t.sites.find((s) => s.id === siteId);
  // an operator cannot even learn whether another operator's site exists
  if (!site || (scope !== null && site.operator !== scope))
    throw new FederaError('NOT_FOUND', `no site '${siteId}' of yours`);
  return site;
}

export const sitesRouter = router({
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
      if (t.sites.some((s) => s.id === input.id))
        throw new FederaError('VALIDATION_FAILED', `site '${input.id}' exists; use sites.update`);
      const site: Site = { ...input, status: 'active' };
      return { topology: { ...t, sites: [...t.sites, site] }, result: site };
    });
    await ctx.deps.audit.append(ctx.principal, 'sites.register', `site:${input.id}`, null, view(result));
    return view(result);
  }),

  update: operatorOrAdminProcedure.input(siteUpdateSchema).mutation(async ({ ctx, input }) => {
    const { result } = await ctx.deps.registry.update((t) => {
      const before = findOwned(t, input.siteId, ctx.scope);
      const after: Site = { ...before, ...input.patch };
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

  /** Health (circuit breaker, probes) and load of the sites in scope. */
  health: operatorOrAdminProcedure.input(operatorFilterSchema).query(async ({ ctx, input }) => {
    const { topology } = await ctx.deps.topology();
    const operator = ctx.scope ?? input.operator;
    const sites = topology.sites.filter((s) => !operator || s.operator === operator);
    const ids = sites.map((s) => s.id);
    const [states, inflight] = await Promise.all([
      ctx.deps.health.states(ids),
      ctx.deps.observations.inflight(ids),
    ]);
    return sites.map((s, i) => ({
      ...states[i]!,
      operator: s.operator,
      status: s.status,
      inflight: inflight.get(s.id) ?? 0,
      capacity: Object.fromEntries(s.models.map((m) => [m.id, m.capacity])),
    }));
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
