/**
 * Builds Federa's Temporal workers: one control worker (request workflows + route/reserve/reconcile
 * local activities) and one site-agent worker per hosted site (dispatch on the site's task queue).
 * Clients are built once by the caller and passed in; tests pass the same real ones.
 */
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import type { Cluster, Redis } from 'ioredis';
import type { TopologyIndex } from '@federa/domain';
import type { JWK } from 'jose';
import { Ledger } from '@federa/ledger';
import type { SettlementConfig, SettlementStore } from '@federa/settlement';
import type { PayloadKeys } from '@federa/sealing';
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import {
  Observations,
  SiteHealth,
  probeSite,
  WORKFLOWS_URL,
  createControlActivities,
  createSettlementActivities,
  settlementScheduleId,
  createSiteActivities,
  siteTaskQueue,
} from '@federa/workflows';

export interface FederaWorkersOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly redis: Redis | Cluster;
  readonly topology: () => Promise<TopologyIndex>;
  readonly controlTaskQueue: string;
  /** site ids whose agents run in this process */
  readonly siteAgents: 'all' | readonly string[];
  /** a pre-built bundle (tests bundle once per run); otherwise bundled from source at start */
  readonly workflowBundle?: WorkflowBundleOption;
  /** the site agents' allowance for the first token (default: the workflow's sizing, 60 s) */
  readonly siteRequestTimeoutMs?: number;
  /** the slowest generation the agents accept, tokens/s (default 20) */
  readonly siteMinTokensPerSecond?: number;
  /** cap on a site's response body (default 8 MiB) */
  readonly siteMaxResponseBytes?: number;
  /** the ledger the control activities post to (built by the caller, e.g. with its billing period) */
  readonly ledger?: Ledger;
  /** payload keys: hosted site agents open requests sealed for their jurisdiction (omit = clear only) */
  readonly payloadKeys?: PayloadKeys;
  /** settlement activities on the control worker (omit to run no settlement here) */
  readonly settlement?: {
    readonly store: SettlementStore;
    readonly clearingKey: JWK;
    readonly config: SettlementConfig;
  };
}

export const WORKFLOWS_PATH = fileURLToPath(WORKFLOWS_URL);

export async function createFederaWorkers(opts: FederaWorkersOptions): Promise<Worker[]> {
  const ledger = opts.ledger ?? new Ledger(opts.redis);
  const observations = new Observations(opts.redis);
  const health = new SiteHealth(opts.redis);
  const control = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.controlTaskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: {
      ...createControlActivities({ topology: opts.topology, ledger, observations, health }),
      ...(opts.settlement
        ? createSettlementActivities({ ledger, topology: opts.topology, ...opts.settlement })
        : {}),
    },
    maxConcurrentWorkflowTaskExecutions: 200,
    maxConcurrentLocalActivityExecutions: 400,
  });

  const hosted = (id: string) => opts.siteAgents === 'all' || opts.siteAgents.includes(id);
  const sites = (await opts.topology()).topology.sites.filter((s) => hosted(s.id));
  const agents = await Promise.all(
    sites.map((site) =>
      Worker.create({
        connection: opts.connection,
        namespace: opts.namespace,
        taskQueue: siteTaskQueue(site.id),
        activities: createSiteActivities({
          siteId: site.id,
          jurisdiction: site.jurisdiction,
          endpoint: site.endpoint,
          ...(opts.siteRequestTimeoutMs || opts.siteMinTokensPerSecond
            ? {
                timeout: {
                  ...(opts.siteRequestTimeoutMs ? { baseMs: opts.siteRequestTimeoutMs } : {}),
                  ...(opts.siteMinTokensPerSecond ? { minTokensPerSecond: opts.siteMinTokensPerSecond } : {}),
                },
              }
            : {}),
          maxResponseBytes: opts.siteMaxResponseBytes,
          payloadKeys: opts.payloadKeys?.jurisdictions[site.jurisdiction]
            ? {
                opening: opts.payloadKeys.jurisdictions[site.jurisdiction]!.privateJwk,
                api: opts.payloadKeys.api.publicJwk,
              }
            : undefined,
          onInflight: (id, delta) => observations.adjustInflight(id, delta),
          onOutcome: (id, ok) => health.record(id, ok),
        }),
        maxConcurrentActivityTaskExecutions: 500,
      }),
    ),
  );
  return [control, ...agents];
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
 * site's circuit breaker (a success after the cool-down closes an open circuit).
 */
export function startHealthProbes(
  redis: Redis | Cluster,
  sites: () => Promise<readonly { id: string; endpoint: string }[]>,
  intervalMs: number,
  onError: (err: unknown) => void,
): () => void {
  const health = new SiteHealth(redis);
  const probeAll = async () => {
    await Promise.all(
      (await sites()).map(async (site) => {
        const { ok, rttMs } = await probeSite(site.endpoint);
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
