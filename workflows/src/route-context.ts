import type { RouteContext, TopologyIndex } from '@federa/domain';
import type { SiteHealth } from './health';
import type { Observations } from './observations';

/**
 * The live inputs of a routing decision, read together: latency EWMAs for the tenant's region,
 * in-flight counts, open circuits and sites without a live agent. Used by the request workflow's route step and by
 * `routing.explain`, so the explanation is computed exactly as the route is.
 */
export async function loadRouteContext(
  deps: { readonly observations: Observations; readonly health?: SiteHealth | undefined },
  topology: TopologyIndex,
  region: string,
  atMs: number,
): Promise<RouteContext> {
  const siteIds = topology.topology.sites.map((s) => s.id);
  const [latency, inflight, openCircuits, noAgent] = await Promise.all([
    deps.observations.latency(region, siteIds),
    deps.observations.inflight(siteIds),
    deps.health?.openCircuits(siteIds) ?? Promise.resolve(new Set<string>()),
    deps.health?.agents.withoutAgent(siteIds) ?? Promise.resolve(new Set<string>()),
  ]);
  return { topology, policy: topology.topology.routing, latency, inflight, openCircuits, noAgent, atMs };
}
