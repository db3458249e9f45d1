/**
 * The API's data plane: a control worker inside the API process (so the eagerly started first task
 * of each request runs here and hands its admission over in memory), and the chat path over the site
 * agents' HTTP endpoints. `startDataPlane` builds both; `close` stops the worker after the server.
 */
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { TRACING_OFF, temporalClientTracing, temporalWorkerTracing, type Tracing } from '@federa/telemetry';
import {
  AgentLiveness,
  RequestHandoff,
  WORKFLOWS_URL,
  createControlActivities,
  createServedActivities,
  servedTaskQueue,
  type ControlDeps,
  type ServedDeps as ServedActivityDeps,
  type ServedHandoff,
} from '@federa/workflows';
import type { ServedDeps } from '../context';
import type { ApiMetrics } from '../metrics/api-metrics';
import { serveChat } from './serve-chat';
import { serveEmbeddings } from './serve-embeddings';
import type { DataPlane } from './types';

export interface DataPlaneOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly controlTaskQueue: string;
  readonly redis: Redis | Cluster;
  readonly control: ControlDeps;
  readonly served: Pick<ServedDeps, 'tokenCounter' | 'payloadKeys' | 'topology'>;
  /** the bearer token the site agents expect */
  readonly agentToken: string;
  /** the output ceiling when a request sets no max_tokens */
  readonly defaultMaxTokens?: number;
  /** output tokens held at once (the first grant, then each slice the agent asks for) */
  readonly grantSliceTokens?: number;
  /** the agents' dispatch budget and the report's grace beyond it (tests shorten them) */
  readonly timing?: Pick<ServedActivityDeps, 'dispatchTimeout' | 'reportGraceMs'>;
  /**
   * how long a request's next task waits on this process's sticky queue before any worker of the
   * served queue may take it (when this process died); default the SDK's 10 s
   */
  readonly stickyTimeoutMs?: number;
  /** a pre-built workflow bundle (tests); otherwise bundled from source at start */
  readonly workflowBundle?: WorkflowBundleOption;
  readonly log: Logger;
  /** the process's tracing (default off): Temporal's interceptors on this worker and client */
  readonly tracing?: Tracing;
  /** the API's metrics: the control worker's routing decisions and residency refusals go there */
  readonly metrics?: Pick<ApiMetrics, 'routeObserver'> | undefined;
}

export interface RunningDataPlane {
  readonly dataPlane: DataPlane;
  close(): Promise<void>;
}

export const DEFAULT_MAX_TOKENS = 4_096;
export const DEFAULT_GRANT_SLICE_TOKENS = 1_024;

export async function startDataPlane(opts: DataPlaneOptions): Promise<RunningDataPlane> {
  const handoff: ServedHandoff = new RequestHandoff();
  const taskQueue = servedTaskQueue(opts.controlTaskQueue);
  const controlDeps: ControlDeps = {
    ...opts.control,
    ...(opts.metrics ? { routeObserver: opts.metrics.routeObserver } : {}),
  };
  const control = createControlActivities(controlDeps);
  const tracing = opts.tracing ?? TRACING_OFF;
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue,
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath: fileURLToPath(WORKFLOWS_URL) }),
    activities: {
      ...control,
      ...createServedActivities({ ...controlDeps, ...opts.timing, handoff }),
    },
    ...(opts.stickyTimeoutMs ? { stickyQueueScheduleToStartTimeout: opts.stickyTimeoutMs } : {}),
    maxConcurrentWorkflowTaskExecutions: 200,
    maxConcurrentLocalActivityExecutions: 400,
    // a pre-built bundle has the workflow interceptors it was built with; one built here gets them
    ...temporalWorkerTracing(tracing, { bundles: !opts.workflowBundle }),
  });
  const running = worker
    .run()
    .catch((err: unknown) => opts.log.error({ err }, 'data-plane control worker failed'));
  const deps = {
    served: opts.served,
    // eager start needs the client on the very connection the worker polls with
    client: new Client({
      connection: opts.connection,
      namespace: opts.namespace,
      ...temporalClientTracing(tracing),
    }),
    handoff,
    postUsage: control.reconcileUsage,
    controlTaskQueue: taskQueue,
    agents: new AgentLiveness(opts.redis),
    agentToken: opts.agentToken,
    defaultMaxTokens: opts.defaultMaxTokens ?? DEFAULT_MAX_TOKENS,
    grantSliceTokens: opts.grantSliceTokens ?? DEFAULT_GRANT_SLICE_TOKENS,
    log: opts.log,
    // routing's latency samples are taken here, on the API's clock (latency-sample.ts)
    observations: opts.control.observations,
    routeObserver: controlDeps.routeObserver,
  };
  return {
    dataPlane: {
      serveChat: (req) => serveChat(deps, req),
      serveEmbeddings: (req) => serveEmbeddings(deps, req),
    },
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
