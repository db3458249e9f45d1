/**
 * Control-plane activities: route, reserve, reconcile, void. They run next to the workflow (as local
 * activities) and only touch metadata; the prompt itself is read only to count its tokens.
 */
import { FederaError, planRoute, priceUsage, type TopologyIndex, type UsageRecord } from '@federa/domain';
import type { Ledger } from '@federa/ledger';
import { countChatTokens } from '@federa/tokenizer';
import type { SiteHealth } from './health';
import type { Observations } from './observations';
import { meterSiteUsage } from './metering';
import { loadRouteContext } from './route-context';
import { tellRouteObserver, type RouteObserver } from './route-observer';
import { withFailures } from './failures';
import type {
  HoldSummary,
  ReconcileInput,
  ReconcileResult,
  RequestWorkflowInput,
  ReserveHoldInput,
  RoutePlan,
} from './types';

export interface ControlDeps {
  /** the current topology (a function, so a registry can swap it without a restart) */
  readonly topology: () => Promise<TopologyIndex>;
  readonly ledger: Ledger;
  readonly observations: Observations;
  readonly health?: SiteHealth;
  readonly clock?: () => number;
  /** told each routing decision and residency refusal (metrics); absent = no cost */
  readonly routeObserver?: RouteObserver | undefined;
}

export function createControlActivities(deps: ControlDeps) {
  const now = deps.clock ?? Date.now;

  async function planRouteActivity(input: RequestWorkflowInput): Promise<RoutePlan> {
    const topology = await deps.topology();
    const tenant = topology.tenant(input.tenantId);
    const home = topology.operator(tenant.homeOperator);
    const retail = topology.rateAt(home.id, input.model, now())?.retail;
    if (!retail) {
      throw new FederaError(
        'UNKNOWN_MODEL',
        `model '${input.model}' is not offered to tenant '${tenant.id}'`,
      );
    }
    const context = await loadRouteContext(deps, topology, tenant.region, now());
    let decision: ReturnType<typeof planRoute>;
    try {
      decision = planRoute(context, { tenantId: tenant.id, model: input.model, residency: input.residency });
    } catch (err) {
      // no site within the tenant's jurisdictions: a residency refusal (RESIDENCY_VIOLATION is
      // refused by the API before any route, and counted there)
      if (err instanceof FederaError && err.code === 'NO_ELIGIBLE_SITE')
        tellRouteObserver(deps.routeObserver, (o) => o.residencyRefused(err.code));
      throw err;
    }
    const chosen = decision.candidates[0];
    if (chosen) tellRouteObserver(deps.routeObserver, (o) => o.routed(chosen));
    const inputTokens = input.inputTokens ?? countChatTokens(input.messages ?? []);
    return {
      route: decision.candidates.map((c) => ({
        siteId: c.siteId,
        operatorId: c.operatorId,
        jurisdiction: c.jurisdiction,
      })),
      allowedJurisdictions: decision.allowedJurisdictions,
      policyVersion: decision.policyVersion,
      maxAttempts: decision.maxFailoverAttempts,
      inputTokens,
      holdAmount: priceUsage(retail, inputTokens, input.maxTokens),
      holdTtlMs: decision.holdTtlMs,
      currency: home.currency,
    };
  }

  async function reserveHold(input: ReserveHoldInput): Promise<HoldSummary> {
    const hold = await deps.ledger.reserve({
      tenantId: input.tenantId,
      requestId: input.requestId,
      amount: input.amount,
      tokens: input.tokens,
      expiresAt: now() + input.ttlMs,
      ...(input.attempt ? { attempt: input.attempt } : {}),
      ...(input.apiKeyId ? { apiKeyId: input.apiKeyId } : {}),
    });
    if (hold.state !== 'pending') {
      throw new FederaError(
        'HOLD_ALREADY_RESOLVED',
        `request '${input.requestId}' was already ${hold.state}`,
      );
    }
    return { amount: hold.amount, expiresAt: hold.expiresAt };
  }

  async function reconcileUsage(input: ReconcileInput): Promise<ReconcileResult> {
    const topology = await deps.topology();
    const tenant = topology.tenant(input.tenantId);
    const home = topology.operator(tenant.homeOperator);
    const serving = topology.operator(input.served.operatorId);
    // priced and dated by the control plane's clock at the post, never the site's: a site (or its
    // agent) with its clock off must not choose the rate card or the settlement period
    const at = now();
    const retail = topology.rateAt(home.id, input.model, at)?.retail;
    const wholesale = topology.rateAt(serving.id, input.model, at)?.wholesale;
    if (!retail || !wholesale) {
      throw new FederaError(
        'UNKNOWN_MODEL',
        `no price for '${input.model}' at '${home.id}' or '${serving.id}'`,
      );
    }
    // input is what the edge counted, output at most max_tokens; the site's own figures are kept
    const metered = meterSiteUsage({
      edgeInputTokens: input.edgeInputTokens,
      maxTokens: input.maxTokens,
      siteInputTokens: input.dispatch.inputTokens,
      siteOutputTokens: input.dispatch.outputTokens,
    });
    const { inputTokens, outputTokens } = metered;
    const retailCharge = priceUsage(retail, inputTokens, outputTokens);
    const exchangeMs = Math.min(Math.max(0, Math.round(input.dispatch.totalMs) || 0), at);
    const record: UsageRecord = {
      requestId: input.requestId,
      tenantId: tenant.id,
      homeOperator: home.id,
      servingOperator: serving.id,
      siteId: input.served.siteId,
      jurisdiction: input.served.jurisdiction,
      model: input.model,
      inputTokens,
      outputTokens,
      currency: home.currency,
      retailCharge,
      // home-site usage creates no inter-operator charge
      wholesaleCharge: serving.id === home.id ? 0 : priceUsage(wholesale, inputTokens, outputTokens),
      policyVersion: input.policyVersion,
      candidates: input.candidates,
      startedAt: new Date(at - exchangeMs).toISOString(),
      completedAt: new Date(at).toISOString(),
      failedAttempts: input.failedAttempts,
      // once each: the agent's report may raise a flag the metering raises too (SITE_USAGE_DISPUTED)
      flags: [
        ...new Set([
          ...(input.failedAttempts > 0 ? ['FAILOVER'] : []),
          ...(input.priorAttemptMayHaveServed ? ['PRIOR_ATTEMPT_TIMED_OUT'] : []),
          ...metered.flags,
          ...(input.extraFlags ?? []),
        ]),
      ],
      ...(metered.siteReported ? { siteReported: metered.siteReported } : {}),
    };
    const posted = await deps.ledger.post({
      tenantId: tenant.id,
      requestId: input.requestId,
      actual: retailCharge,
      actualTokens: inputTokens + outputTokens,
      record,
    });
    // one latency sample per request. On the data plane the API took it (its clock, WAN included:
    // apps/api/src/dataplane/latency-sample.ts), so neither post adds one; on the legacy
    // Temporal-dispatched path it is the dispatching agent's time, added once: a replayed post (a
    // retried activity) adds none. Advisory and off the answer's path: it may fail on its own.
    if (!posted.replay && input.latencySampledBy !== 'api') {
      void deps.observations
        .recordLatency(tenant.region, input.served.siteId, input.dispatch.networkMs)
        .catch(() => undefined);
    }
    return {
      recordId: posted.recordId ?? '',
      usage: { inputTokens, outputTokens },
      // a retried post answers with the first one's figures (the record stored then)
      retailCharge: posted.replay ? posted.posted + posted.overage : retailCharge,
      wholesaleCharge: record.wholesaleCharge,
      posted: posted.posted,
      overage: posted.overage,
      currency: home.currency,
      flags: [...record.flags, ...posted.flags],
    };
  }

  async function voidHold(input: { tenantId: string; requestId: string }): Promise<void> {
    try {
      await deps.ledger.void(input);
    } catch (err) {
      // nothing was held (reserve never ran or was refused): nothing to release
      if (err instanceof FederaError && err.code === 'HOLD_NOT_FOUND') return;
      throw err;
    }
  }

  return {
    planRoute: withFailures(planRouteActivity),
    reserveHold: withFailures(reserveHold),
    reconcileUsage: withFailures(reconcileUsage),
    voidHold: withFailures(voidHold),
  };
}

export type ControlActivities = ReturnType<typeof createControlActivities>;
