import { explainInputSchema, rankSites } from '@federa/domain';
import { loadRouteContext } from '@federa/workflows';
import { router, tenantProcedure } from '../trpc';

export const routingRouter = router({
  /**
   * A dry run of the route step for the caller: every eligible site with its score, and every
   * excluded site with the reason. Computed exactly as the request workflow routes; holds nothing.
   */
  explain: tenantProcedure.input(explainInputSchema).query(async ({ ctx, input }) => {
    const routeCtx = await loadRouteContext(ctx.deps, ctx.topology, ctx.tenant.region, Date.now());
    const d = rankSites(routeCtx, {
      tenantId: ctx.tenant.id,
      model: input.model,
      residency: input.residency,
    });
    return {
      model: d.model,
      policyVersion: d.policyVersion,
      allowedJurisdictions: d.allowedJurisdictions,
      // ranks and reasons only: operators' wholesale prices (and the scores they feed) are
      // between operators, not for tenants
      candidates: d.candidates.map((c, i) => ({
        rank: i + 1,
        siteId: c.siteId,
        operatorId: c.operatorId,
        jurisdiction: c.jurisdiction,
        latencyMs: Math.round(c.latencyMs * 100) / 100,
        latencySource: c.latencySource,
        load: c.load,
        home: c.home,
      })),
      excluded: d.excluded,
    };
  }),
});
