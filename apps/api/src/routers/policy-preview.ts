/**
 * What a candidate routing policy would do, before anyone saves it: for every tenant, the sites it
 * would be routed to (ranked) and the sites it could not use (with the reason), under the policy in
 * force and under the candidate. Ranked by the same `rankSites` over the same live inputs
 * (`loadRouteContext`) as the request workflow's route step, so the preview is the route.
 */
import {
  rankSites,
  type RouteContext,
  type RouteDecision,
  type RoutingPolicy,
  type TopologyIndex,
} from '@federa/domain';
import { loadRouteContext } from '@federa/workflows';

export interface PreviewRoute {
  readonly candidates: readonly {
    readonly rank: number;
    readonly siteId: string;
    readonly operatorId: string;
    readonly jurisdiction: string;
    readonly home: boolean;
    readonly score: number;
  }[];
  readonly excluded: RouteDecision['excluded'];
}

export interface TenantPreview {
  readonly tenantId: string;
  readonly name: string;
  readonly current: PreviewRoute;
  readonly candidate: PreviewRoute;
  /** the top site differs between the two policies */
  readonly changed: boolean;
}

export interface PolicyPreview {
  readonly model: string;
  /** every model some site serves, for choosing another */
  readonly models: readonly string[];
  readonly currentVersion: number;
  /** the version the candidate would get if saved now */
  readonly candidateVersion: number;
  readonly tenants: readonly TenantPreview[];
}

export async function previewPolicy(
  deps: Parameters<typeof loadRouteContext>[0],
  topology: TopologyIndex,
  candidatePolicy: Omit<RoutingPolicy, 'version'>,
  model: string | undefined,
  atMs: number,
): Promise<PolicyPreview> {
  const servedBy = new Map<string, number>();
  for (const site of topology.topology.sites)
    for (const m of site.models) servedBy.set(m.id, (servedBy.get(m.id) ?? 0) + 1);
  const models = [...servedBy.keys()].sort();
  // by default the model most sites serve: the one whose routes say the most about the policy
  const chosen =
    model ?? [...models].sort((a, b) => servedBy.get(b)! - servedBy.get(a)! || a.localeCompare(b))[0] ?? '';
  const current = topology.topology.routing;
  const candidate: RoutingPolicy = { ...candidatePolicy, version: current.version + 1 };
  // latency observations are per region: one read per region, not per tenant
  const contexts = new Map<string, Promise<RouteContext>>();
  const contextFor = (region: string) => {
    let ctx = contexts.get(region);
    if (!ctx) contexts.set(region, (ctx = loadRouteContext(deps, topology, region, atMs)));
    return ctx;
  };
  const tenants = await Promise.all(
    [...topology.topology.tenants]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map(async (tenant): Promise<TenantPreview> => {
        const ctx = await contextFor(tenant.region);
        const req = { tenantId: tenant.id, model: chosen };
        const now = routeOf(rankSites({ ...ctx, policy: current }, req));
        const next = routeOf(rankSites({ ...ctx, policy: candidate }, req));
        return {
          tenantId: tenant.id,
          name: tenant.name,
          current: now,
          candidate: next,
          changed: now.candidates[0]?.siteId !== next.candidates[0]?.siteId,
        };
      }),
  );
  return {
    model: chosen,
    models,
    currentVersion: current.version,
    candidateVersion: candidate.version,
    tenants,
  };
}

function routeOf(d: RouteDecision): PreviewRoute {
  return {
    candidates: d.candidates.map((c, i) => ({
      rank: i + 1,
      siteId: c.siteId,
      operatorId: c.operatorId,
      jurisdiction: c.jurisdiction,
      home: c.home,
      score: Math.round(c.score * 10_000) / 10_000,
    })),
    excluded: d.excluded,
  };
}
