/**
 * Every metric family Federa exports, by concern. This file is the contract between the code that
 * records, the dashboards and alert rules in deploy/observability/, and docs/observability.md: a
 * name changes here or nowhere.
 *
 * Cardinality is bounded by construction (see docs/observability.md):
 * - never a label per request id, user, API key or free-form client string;
 * - `model` only for models the topology knows (anything else is recorded as 'unknown');
 * - `site`, `operator`, `jurisdiction` come from the registry, not from requests;
 * - `tenant` only on the ledger's state gauges, capped (LabelCap) so a federation with thousands of
 *   tenants folds the tail into tenant="other"; request counters carry `tenant_class` instead.
 *
 * Each process registers only the concerns it records (the API: requests, ledger operations,
 * routing decisions; a worker: ledger, routing state, settlement, its site agents), so an empty
 * family never pretends a process does something it does not.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS, REDIS_OP_BUCKETS } from './buckets';

/** Requests as the API sees them (both the OpenAI surface and tRPC inference). */
export function requestMetrics(registry: Registry) {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'federa_requests_total',
      help: 'Inference requests answered, by route, model, tenant class, serving site and outcome code (OK or the stable error code)',
      labelNames: ['route', 'model', 'tenant_class', 'site', 'jurisdiction', 'code'] as const,
      registers,
    }),
    addedLatency: new Histogram({
      name: 'federa_request_added_latency_seconds',
      help: "Time Federa adds before a site is called: request received to dispatch to the site's agent (auth, counting, admission, route, reserve)",
      labelNames: ['route'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    timeToFirstToken: new Histogram({
      name: 'federa_time_to_first_token_seconds',
      help: 'Request received to the first completion byte sent to the client (streamed or not)',
      labelNames: ['route', 'site'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    inFlight: new Gauge({
      name: 'federa_requests_in_flight',
      help: 'Requests admitted and not yet answered, by route',
      labelNames: ['route'] as const,
      registers,
    }),
    admissionQueueDepth: new Gauge({
      name: 'federa_admission_queue_depth',
      help: "Requests waiting in the API's admission queue (beyond FEDERA_API_MAX_INFLIGHT)",
      registers,
    }),
    admissionQueuedBytes: new Gauge({
      name: 'federa_admission_queued_bytes',
      help: 'Request bodies held in memory by the admission queue, bytes',
      registers,
    }),
    tokens: new Counter({
      name: 'federa_tokens_total',
      help: 'Tokens billed, by direction (input, output), model and serving site',
      labelNames: ['direction', 'model', 'site'] as const,
      registers,
    }),
  };
}

/** The ledger's operations (recorded where they run) and its state (read from Redis at scrape). */
export function ledgerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    operations: new Counter({
      name: 'federa_ledger_operations_total',
      help: 'Ledger operations by op (reserve, extend, post, void, sweep) and result (ok, replay = an idempotent retry that changed nothing, refused, error)',
      labelNames: ['op', 'result'] as const,
      registers,
    }),
    operationDuration: new Histogram({
      name: 'federa_ledger_operation_duration_seconds',
      help: 'Ledger operation latency (one Redis script round trip), by op',
      labelNames: ['op'] as const,
      buckets: REDIS_OP_BUCKETS,
      registers,
    }),
    refusals: new Counter({
      name: 'federa_ledger_refusals_total',
      help: 'Ledger refusals by op and stable code (BUDGET_EXCEEDED, RATE_LIMITED, KEY_BUDGET_EXCEEDED, …)',
      labelNames: ['op', 'code'] as const,
      registers,
    }),
    overage: new Counter({
      name: 'federa_ledger_overage_minor_total',
      help: 'Usage charged beyond what was held (absorbed by the operator, never by the budget), minor units',
      labelNames: ['currency'] as const,
      registers,
    }),
    usageFlags: new Counter({
      name: 'federa_usage_flags_total',
      help: 'Usage records posted with a flag (OVERAGE, SITE_USAGE_DISPUTED, SITE_FAILED_MID_STREAM, …)',
      labelNames: ['flag'] as const,
      registers,
    }),
    // state gauges: set by a collector at scrape time from Redis (one worker per federation)
    holdsPending: new Gauge({
      name: 'federa_ledger_holds_pending',
      help: 'Holds pending (reserved, neither posted nor voided), by tenant',
      labelNames: ['tenant'] as const,
      registers,
    }),
    holdsPendingAmount: new Gauge({
      name: 'federa_ledger_holds_pending_minor',
      help: "Money held by pending holds, by tenant, minor units of the tenant's home currency",
      labelNames: ['tenant', 'currency'] as const,
      registers,
    }),
    oldestHoldAge: new Gauge({
      name: 'federa_ledger_hold_oldest_age_seconds',
      help: 'Age of the oldest pending hold, by tenant (a hold older than its TTL is stuck)',
      labelNames: ['tenant'] as const,
      registers,
    }),
    budgetUtilisation: new Gauge({
      name: 'federa_budget_utilisation_ratio',
      help: "Share of the tenant's budget spent or held this period (prepaid: of its credit), 0..1",
      labelNames: ['tenant'] as const,
      registers,
    }),
  };
}

/** How requests are routed, and what the router knows of each site. */
export function routingMetrics(registry: Registry) {
  const registers = [registry];
  return {
    decisions: new Counter({
      name: 'federa_route_decisions_total',
      help: 'Routing decisions by chosen site and its jurisdiction (failover attempts count again)',
      labelNames: ['site', 'jurisdiction'] as const,
      registers,
    }),
    residencyRefusals: new Counter({
      name: 'federa_residency_refusals_total',
      help: "Requests refused for residency: no site within the tenant's jurisdictions (NO_ELIGIBLE_SITE, RESIDENCY_CONFLICT) or an agent refusing a foreign request (RESIDENCY_VIOLATION)",
      labelNames: ['code'] as const,
      registers,
    }),
    // state gauges: set at scrape time from the registry and the sites' health in Redis
    latencyEwma: new Gauge({
      name: 'federa_site_latency_ewma_seconds',
      help: "The router's moving average of a site's time to first token",
      labelNames: ['site'] as const,
      registers,
    }),
    circuitState: new Gauge({
      name: 'federa_site_circuit_state',
      help: "A site's circuit breaker: 0 closed, 1 half-open, 2 open",
      labelNames: ['site'] as const,
      registers,
    }),
    draining: new Gauge({
      name: 'federa_site_draining',
      help: '1 while a site is draining or down (no new requests), else 0',
      labelNames: ['site'] as const,
      registers,
    }),
    siteInFlight: new Gauge({
      name: 'federa_site_in_flight',
      help: "Requests in flight at a site (the router's load input)",
      labelNames: ['site'] as const,
      registers,
    }),
    probeRtt: new Histogram({
      name: 'federa_site_probe_rtt_seconds',
      help: "Round trip of the worker's active health probe to a site",
      labelNames: ['site'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    probeFailures: new Counter({
      name: 'federa_site_probe_failures_total',
      help: 'Active health probes that failed, by site',
      labelNames: ['site'] as const,
      registers,
    }),
  };
}

/** A worker's site agents: the data plane's last hop, inside each site's jurisdiction. */
export function agentMetrics(registry: Registry) {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'federa_agent_requests_total',
      help: 'Requests relayed by site agents, by site, kind (chat, embeddings) and outcome code',
      labelNames: ['site', 'kind', 'code'] as const,
      registers,
    }),
    siteTimeToFirstToken: new Histogram({
      name: 'federa_agent_site_ttft_seconds',
      help: 'Agent to site: request sent to the first completion byte from the site',
      labelNames: ['site'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    grantSlices: new Counter({
      name: 'federa_agent_grant_slices_total',
      help: 'Further output-token slices agents asked for, by site and result (granted, refused)',
      labelNames: ['site', 'result'] as const,
      registers,
    }),
  };
}

/** Settlement between operators: read from the settlement store at scrape time. */
export function settlementMetrics(registry: Registry) {
  const registers = [registry];
  return {
    lastSettledPeriodEnd: new Gauge({
      name: 'federa_settlement_last_period_end_timestamp_seconds',
      help: 'End of the last settled period with a statement, by operator pair (from = consumer, to = provider)',
      labelNames: ['from_operator', 'to_operator'] as const,
      registers,
    }),
    lag: new Gauge({
      name: 'federa_settlement_lag_seconds',
      help: 'How far settlement is behind: now minus the grace window minus the end of the last settled period (0 = up to date)',
      registers,
    }),
    statements: new Gauge({
      name: 'federa_settlement_statements',
      help: 'Statements by state (issued, accepted, disputed)',
      labelNames: ['state'] as const,
      registers,
    }),
    amount: new Gauge({
      name: 'federa_settlement_amount_minor',
      help: 'Net amount of the latest statement per operator pair, minor units of the settlement currency',
      labelNames: ['from_operator', 'to_operator', 'currency'] as const,
      registers,
    }),
  };
}

/** Redis, as far as the control plane's alerts need it (no redis_exporter is assumed). */
export function redisMetrics(registry: Registry) {
  const registers = [registry];
  return {
    memoryUsed: new Gauge({
      name: 'federa_redis_memory_used_bytes',
      help: "Redis's used_memory, read by a worker at scrape time",
      registers,
    }),
    maxMemory: new Gauge({
      name: 'federa_redis_maxmemory_bytes',
      help: "Redis's maxmemory (0 = no limit set)",
      registers,
    }),
  };
}

/**
 * The Temporal SDK's own metrics come through a bridge (telemetry/src/temporal/) under their core
 * names (temporal_*); this is the bridge's one family of its own. Created unregistered: the bridge
 * registers it with every registry it is bound to.
 */
export function temporalBridgeMetrics(registry?: Registry) {
  return {
    droppedLabels: new Counter({
      name: 'federa_temporal_labels_dropped_total',
      help: "Attributes of Temporal SDK metric updates dropped because the metric's first update did not have them (label names are fixed at a family's creation)",
      labelNames: ['metric'] as const,
      registers: registry ? [registry] : [],
    }),
  };
}

export type RequestMetrics = ReturnType<typeof requestMetrics>;
export type LedgerMetrics = ReturnType<typeof ledgerMetrics>;
export type RoutingMetrics = ReturnType<typeof routingMetrics>;
export type AgentMetrics = ReturnType<typeof agentMetrics>;
export type SettlementMetrics = ReturnType<typeof settlementMetrics>;
export type RedisMetrics = ReturnType<typeof redisMetrics>;
