/**
 * Builds Federa's control worker (request workflows + route/reserve/reconcile local activities).
 * The site agents (dispatch on each site's task queue) follow the registry: see site-agents.ts.
 * Clients are built once by the caller and passed in; tests pass the same real ones.
 */
import { fileURLToPath } from 'node:url';
import {
  Worker,
  bundleWorkflowCode,
  type NativeConnection,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import type { Cluster, Redis } from 'ioredis';
import type { TopologyIndex } from '@federa/domain';
import type { JWK } from 'jose';
import { Ledger } from '@federa/ledger';
import type { SettlementConfig, SettlementStore } from '@federa/settlement';
import { TRACING_OFF, temporalWorkerTracing, workflowTracingModules, type Tracing } from '@federa/telemetry';
import type { RoutingMetrics } from '@federa/telemetry';
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import {
  Observations,
  SiteHealth,
  probeSite,
  WORKFLOWS_URL,
  createControlActivities,
  createServedActivities,
  createSettlementActivities,
  servedTaskQueue,
  settlementScheduleId,
  type RouteObserver,
} from '@federa/workflows';

export interface FederaWorkersOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly redis: Redis | Cluster;
  readonly topology: () => Promise<TopologyIndex>;
  readonly controlTaskQueue: string;
  /** a pre-built bundle (tests bundle once per run); otherwise bundled from source at start */
  readonly workflowBundle?: WorkflowBundleOption;
  /** the ledger the control activities post to (built by the caller, e.g. with its billing period) */
  readonly ledger?: Ledger;
  /**
   * also poll the served-request queue (default true); false where an API's data plane in the same
   * process polls it already (one worker per queue and process)
   */
  readonly servedWorker?: boolean;
  /** where the control activities report routing decisions and residency refusals (metrics) */
  readonly routeObserver?: RouteObserver | undefined;
  /** settlement activities on the control worker (omit to run no settlement here) */
  readonly settlement?: {
    readonly store: SettlementStore;
    readonly clearingKey: JWK;
    readonly config: SettlementConfig;
  };
  /**
   * the process's tracing (default off): activity and workflow interceptors, the workflow interceptor
   * module bundled in (a pre-built bundle has only what it was built with)
   */
  readonly tracing?: Tracing;
}

export const WORKFLOWS_PATH = fileURLToPath(WORKFLOWS_URL);

/** webpack's progress lines are noise in a worker's log; its errors are not */
const quietBundler = {
  info() {},
  warn() {},
  debug() {},
  trace() {},
  log() {},
  error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta ?? ''),
};

export async function createFederaWorkers(opts: FederaWorkersOptions): Promise<Worker[]> {
  const ledger = opts.ledger ?? new Ledger(opts.redis);
  const observations = new Observations(opts.redis);
  const health = new SiteHealth(opts.redis);
  const controlDeps = {
    topology: opts.topology,
    ledger,
    observations,
    health,
    ...(opts.routeObserver ? { routeObserver: opts.routeObserver } : {}),
  };
  // bundled once for both workers (webpack is the slow part of a worker's start)
  const tracing = opts.tracing ?? TRACING_OFF;
  const workflows =
    opts.workflowBundle ??
    (await bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      workflowInterceptorModules: workflowTracingModules(tracing),
      logger: quietBundler,
    }));
  const traced = temporalWorkerTracing(tracing, { bundles: false });
  const control = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.controlTaskQueue,
    workflowBundle: workflows,
    activities: {
      ...createControlActivities(controlDeps),
      ...(opts.settlement
        ? createSettlementActivities({ ledger, topology: opts.topology, ...opts.settlement })
        : {}),
    },
    maxConcurrentWorkflowTaskExecutions: 200,
    maxConcurrentLocalActivityExecutions: 400,
    ...traced,
  });
  // Served (data-plane) requests start on the API's own control worker; this one finishes those of an
  // API process that died (their usage reports still arrive from the site agents).
  if (opts.servedWorker === false) return [control];
  const served = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: servedTaskQueue(opts.controlTaskQueue),
    workflowBundle: workflows,
    activities: createServedActivities(controlDeps),
    maxConcurrentWorkflowTaskExecutions: 100,
    maxConcurrentLocalActivityExecutions: 200,
    ...traced,
  });

  return [control, served];
}

/** Run workers until one fails or all are shut down. */
export async function runAll(workers: readonly Worker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.run()));
}

/** Make sure every tenant of the topology has a ledger account (existing ones are kept). */
export async function seedAccounts(redis: Redis | Cluster, topology: TopologyIndex): Promise<void> {
  const ledger = new Ledger(redis);
  await Promise.all(
    topology.topology.tenants.map((t) =>
      ledger.ensureAccount(t.id, {
        budget: t.budget,
        mode: t.budgetMode,
        tokensPerMinute: t.tokensPerMinute,
      }),
    ),
  );
}

/**
 * The periodic sweep: expires due holds of every tenant, so a hold whose workflow died returns to
 * the budget even if the tenant sends nothing more (reserve, post and void also expire lazily), and
 * prunes holds resolved longer than the ledger's replay window ago (they would grow without bound).
 */
export function startHoldSweeper(
  ledger: Ledger,
  tenants: () => Promise<readonly string[]>,
  intervalMs: number,
  onError: (err: unknown) => void,
): () => void {
  return every(
    intervalMs,
    async () => void (await Promise.all((await tenants()).map((t) => ledger.sweep(t)))),
    onError,
  );
}

/**
 * Active health probes of the sites this process hosts agents for: each probe's outcome feeds the
 * site's circuit breaker (a success after the cool-down closes an open circuit), and, when given the
 * routing families, the probe RTT histogram (successes) or the failure counter.
 */
export function startHealthProbes(
  redis: Redis | Cluster,
  sites: () => Promise<readonly { id: string; endpoint: string }[]>,
  intervalMs: number,
  onError: (err: unknown) => void,
  metrics?: Pick<RoutingMetrics, 'probeRtt' | 'probeFailures'>,
): () => void {
  const health = new SiteHealth(redis);
  const probeAll = async () => {
    await Promise.all(
      (await sites()).map(async (site) => {
        const { ok, rttMs } = await probeSite(site.endpoint);
        if (ok) metrics?.probeRtt.observe({ site: site.id }, rttMs / 1000);
        else metrics?.probeFailures.inc({ site: site.id });
        await health.record(site.id, ok, rttMs);
      }),
    );
  };
  return every(intervalMs, probeAll, onError);
}

/**
 * The settlement schedule: every `everyMs` it starts a settlement run, which settles whatever periods
 * have closed. Created once per federation; an existing schedule is kept (its runs are idempotent).
 */
export async function ensureSettlementSchedule(
  client: Client,
  opts: { namespace: string; taskQueue: string; everyMs: number },
): Promise<string> {
  const scheduleId = settlementScheduleId(opts.namespace);
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: opts.everyMs }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'settlementWorkflow',
        taskQueue: opts.taskQueue,
        args: [{}],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  return scheduleId;
}

/** Run `task` every `intervalMs`, never two at once; returns a stop function. */
function every(intervalMs: number, task: () => Promise<void>, onError: (err: unknown) => void): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
