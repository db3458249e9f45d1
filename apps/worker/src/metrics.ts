/**
 * The worker's /metrics: its own families (ledger and routing state, settlement, Redis, its site
 * agents and health probes), the Temporal SDK's (through the runtime's buffer) and Node's. State
 * gauges are read from Redis only when Prometheus scrapes, never on a request's path.
 */
import type { Cluster, Redis } from 'ioredis';
import type { TopologyIndex } from '@federa/domain';
import { readPendingSummary, type Ledger } from '@federa/ledger';
import {
  fixedSchedule,
  periodIn,
  scheduleKey,
  schedulesInUse,
  type Schedule,
  type SettlementStore,
} from '@federa/settlement';
import {
  agentMetrics,
  createProcessRegistry,
  ledgerCollector,
  ledgerMetrics,
  redisMemoryCollector,
  redisMetrics,
  routingCollector,
  routingMetrics,
  runCollectors,
  settlementCollector,
  settlementMetrics,
  startMetricsServer,
  type AgentMetrics,
  type LedgerMetrics,
  type MetricsServer,
  type MetricsSettings,
  type RoutingMetrics,
  type TemporalMetrics,
} from '@federa/telemetry';
import { COOL_DOWN_MS, Observations, SiteHealth } from '@federa/workflows';

export interface WorkerMetrics {
  readonly agent: AgentMetrics;
  readonly routing: RoutingMetrics;
  /** the ledger's families: its state gauges here, and its operations through ledgerObserver() */
  readonly ledger: LedgerMetrics;
  readonly server: MetricsServer;
}

export interface WorkerMetricsOptions {
  readonly settings: MetricsSettings & { readonly port: number };
  readonly redis: Redis | Cluster;
  readonly topology: () => Promise<TopologyIndex>;
  /** account reads for the utilisation gauge (called at scrape time only) */
  readonly ledger: Pick<Ledger, 'account'>;
  /** the federation's settlement store (read even where this worker does not settle) */
  readonly settlement: {
    readonly store: SettlementStore;
    readonly periodMs: number;
    /** the default schedule (absent: fixed `periodMs`), as the settlement worker runs it */
    readonly schedule?: Schedule | undefined;
    readonly graceMs: number;
  };
  /** the Temporal SDK's metrics (installTemporalRuntime) */
  readonly temporal?: TemporalMetrics | undefined;
  readonly onError: (err: unknown, collector?: string) => void;
}

export async function startWorkerMetrics(opts: WorkerMetricsOptions): Promise<WorkerMetrics> {
  const registry = createProcessRegistry('worker');
  opts.temporal?.bind(registry);
  const routing = routingMetrics(registry);
  const ledger = ledgerMetrics(registry);
  const observations = new Observations(opts.redis);
  const health = new SiteHealth(opts.redis);
  const collect = runCollectors(
    {
      ledger: ledgerCollector({
        metrics: ledger,
        maxTenants: opts.settings.maxTenants,
        source: {
          topology: opts.topology,
          account: (tenantId) => opts.ledger.account(tenantId),
          pendingSummary: (tenantId) => readPendingSummary(opts.redis, tenantId),
        },
      }),
      routing: routingCollector({
        metrics: routing,
        source: {
          topology: opts.topology,
          latency: (region, ids) => observations.latency(region, ids),
          circuits: (ids) => health.states(ids),
          inflight: (ids) => observations.inflight(ids),
          coolDownMs: COOL_DOWN_MS,
        },
      }),
      settlement: settlementCollector({
        metrics: settlementMetrics(registry),
        source: {
          recentStatements: () => opts.settlement.store.recentStatements(),
          schedules: (nowMs) => scheduleCursors(opts.settlement, opts.topology, nowMs),
          graceMs: opts.settlement.graceMs,
        },
      }),
      redis: redisMemoryCollector({
        metrics: redisMetrics(registry),
        storeMemory: () => health.storeMemory(),
      }),
    },
    opts.onError,
  );
  const server = await startMetricsServer({
    registry,
    host: opts.settings.host,
    port: opts.settings.port,
    token: opts.settings.token,
    beforeScrape: async () => {
      opts.temporal?.drain();
      await collect();
    },
    onError: (err) => opts.onError(err),
  });
  return { agent: agentMetrics(registry), routing, ledger, server };
}

/** Each schedule in use (the default and every agreement's) with its cursor, for the lag gauge. */
async function scheduleCursors(
  settlement: WorkerMetricsOptions['settlement'],
  topology: () => Promise<TopologyIndex>,
  nowMs: number,
) {
  const fallback = settlement.schedule ?? fixedSchedule(settlement.periodMs);
  return Promise.all(
    schedulesInUse(await topology(), fallback).map(async (s) => ({
      cursorMs: await settlement.store.cursor(scheduleKey(s)),
      settleableEndMs: periodIn(s, nowMs - settlement.graceMs).startMs,
    })),
  );
}
