/**
 * Route ranking: a pure function of the topology, the policy and the latest observations, so the
 * same inputs always give the same route (and `routing.explain` can replay a decision).
 *
 * Residency is a hard filter applied before anything else; latency, load and price only order the
 * sites that survive it.
 */
import { FederaError } from './errors';
import { physicalRttPriorMs } from './geo';
import { effectiveResidency } from './jurisdictions';
import { effectivePolicy, type RoutingPolicy, type Site, type Tenant, type TopologyIndex } from './topology';

/** Samples after which the measured EWMA fully replaces the physical prior. */
export const LATENCY_SAMPLES_FOR_TRUST = 5;

export interface SiteObservation {
  /** EWMA of observed network round trips from the tenant's region, ms. */
  readonly rttEwmaMs: number;
  readonly samples: number;
}

export interface RouteContext {
  readonly topology: TopologyIndex;
  readonly policy: RoutingPolicy;
  /** keyed by site id, for the requesting tenant's region */
  readonly latency: ReadonlyMap<string, SiteObservation>;
  /** in-flight requests per site */
  readonly inflight: ReadonlyMap<string, number>;
  /** sites whose circuit breaker is open (failing; probed until they recover) */
  readonly openCircuits?: ReadonlySet<string>;
  /** sites with no live site agent: work sent there would wait for a worker that is not there */
  readonly noAgent?: ReadonlySet<string>;
  /** prices are those in force at this time */
  readonly atMs?: number;
}

export interface RouteRequest {
  readonly tenantId: string;
  readonly model: string;
  readonly residency?: readonly string[] | undefined;
}

export type ExclusionReason =
  | 'OUTSIDE_RESIDENCY'
  | 'EXCLUDED_BY_POLICY'
  | 'DRAINING'
  | 'DOWN'
  | 'CIRCUIT_OPEN'
  | 'NO_AGENT'
  | 'MODEL_MISSING'
  | 'NO_PRICE';

export interface Candidate {
  readonly siteId: string;
  readonly operatorId: string;
  readonly jurisdiction: string;
  readonly endpoint: string;
  readonly latencyMs: number;
  readonly latencySource: 'prior' | 'blended' | 'measured';
  readonly load: number;
  /** serving operator's wholesale price, input + output per 1M tokens, minor units */
  readonly pricePer1M: number;
  /** served by the tenant's home operator */
  readonly home: boolean;
  readonly score: number;
}

export interface Exclusion {
  readonly siteId: string;
  readonly jurisdiction: string;
  readonly reason: ExclusionReason;
}

export interface RouteDecision {
  readonly tenantId: string;
  readonly model: string;
  readonly policyVersion: number;
  readonly maxFailoverAttempts: number;
  readonly holdTtlMs: number;
  /** the effective residency set, sorted */
  readonly allowedJurisdictions: readonly string[];
  /** eligible sites, best first */
  readonly candidates: readonly Candidate[];
  readonly excluded: readonly Exclusion[];
}

export function estimateLatencyMs(
  tenant: Tenant,
  site: Site,
  obs: SiteObservation | undefined,
): Pick<Candidate, 'latencyMs' | 'latencySource'> {
  const prior = physicalRttPriorMs(tenant.location, site.location);
  if (!obs || obs.samples <= 0) return { latencyMs: prior, latencySource: 'prior' };
  if (obs.samples >= LATENCY_SAMPLES_FOR_TRUST)
    return { latencyMs: obs.rttEwmaMs, latencySource: 'measured' };
  const w = obs.samples / LATENCY_SAMPLES_FOR_TRUST;
  return { latencyMs: w * obs.rttEwmaMs + (1 - w) * prior, latencySource: 'blended' };
}

function exclusionFor(
  site: Site,
  allowed: ReadonlySet<string>,
  model: string,
  hasPrice: boolean,
  excluded: ReadonlySet<string>,
  openCircuits: ReadonlySet<string> | undefined,
  noAgent: ReadonlySet<string> | undefined,
): ExclusionReason | null {
  if (!allowed.has(site.jurisdiction)) return 'OUTSIDE_RESIDENCY';
  if (excluded.has(site.id)) return 'EXCLUDED_BY_POLICY';
  if (site.status === 'down') return 'DOWN';
  if (site.status === 'draining') return 'DRAINING';
  if (!site.models.some((m) => m.id === model)) return 'MODEL_MISSING';
  if (!hasPrice) return 'NO_PRICE';
  if (openCircuits?.has(site.id)) return 'CIRCUIT_OPEN';
  if (noAgent?.has(site.id)) return 'NO_AGENT';
  return null;
}

export function rankSites(ctx: RouteContext, req: RouteRequest): RouteDecision {
  const { topology } = ctx;
  const tenant = topology.tenant(req.tenantId);
  const policy = effectivePolicy(ctx.policy, tenant.id);
  const allowed = effectiveResidency(tenant.residency, req.residency, topology.groups);
  const at = ctx.atMs ?? Date.now();

  const excluded: Exclusion[] = [];
  const eligible: Omit<Candidate, 'score'>[] = [];
  for (const site of topology.topology.sites) {
    const price = topology.rateAt(site.operator, req.model, at)?.wholesale;
    const reason = exclusionFor(
      site,
      allowed,
      req.model,
      price !== undefined,
      policy.excludedSites,
      ctx.openCircuits,
      ctx.noAgent,
    );
    if (reason || !price) {
      excluded.push({ siteId: site.id, jurisdiction: site.jurisdiction, reason: reason ?? 'NO_PRICE' });
      continue;
    }
    const capacity = site.models.find((m) => m.id === req.model)?.capacity ?? 1;
    eligible.push({
      siteId: site.id,
      operatorId: site.operator,
      jurisdiction: site.jurisdiction,
      endpoint: site.endpoint,
      ...estimateLatencyMs(tenant, site, ctx.latency.get(site.id)),
      load: (ctx.inflight.get(site.id) ?? 0) / capacity,
      pricePer1M: price.inputPer1M + price.outputPer1M,
      home: site.operator === tenant.homeOperator,
    });
  }

  // home sites within the margin compete as if they were that much closer
  const { preferHome, weights } = policy;
  const margin = preferHome.mode === 'margin' ? preferHome.marginMs : 0;
  const adjusted = (c: Omit<Candidate, 'score'>) =>
    c.home ? Math.max(0, c.latencyMs - margin) : c.latencyMs;
  const maxLatency = Math.max(1, ...eligible.map(adjusted));
  const maxPrice = Math.max(1, ...eligible.map((c) => c.pricePer1M));
  const tier = (c: Candidate) => (preferHome.mode === 'always' && c.home ? 0 : 1);
  const candidates = eligible
    .map((c) => ({
      ...c,
      score:
        weights.latency * (adjusted(c) / maxLatency) +
        weights.load * Math.min(c.load, 1) +
        weights.price * (c.pricePer1M / maxPrice),
    }))
    .sort(
      (a, b) =>
        tier(a) - tier(b) || a.score - b.score || (a.siteId < b.siteId ? -1 : a.siteId > b.siteId ? 1 : 0),
    );

  return {
    tenantId: tenant.id,
    model: req.model,
    policyVersion: policy.version,
    maxFailoverAttempts: policy.maxFailoverAttempts,
    holdTtlMs: policy.holdTtlMs,
    allowedJurisdictions: [...allowed].sort(),
    candidates,
    excluded: excluded.sort((a, b) => (a.siteId < b.siteId ? -1 : 1)),
  };
}

/** The route a request actually takes: the ranked candidates, or NO_ELIGIBLE_SITE. */
export function planRoute(ctx: RouteContext, req: RouteRequest): RouteDecision {
  const decision = rankSites(ctx, req);
  if (decision.candidates.length === 0) {
    const reasons = [...new Set(decision.excluded.map((e) => e.reason))].join(', ');
    throw new FederaError(
      'NO_ELIGIBLE_SITE',
      `no site can serve '${req.model}' within ${decision.allowedJurisdictions.join(', ')} (excluded: ${reasons || 'none'})`,
      { allowedJurisdictions: decision.allowedJurisdictions, excluded: decision.excluded },
    );
  }
  return decision;
}
