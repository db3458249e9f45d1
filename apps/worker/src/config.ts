/** The worker's configuration: read from the environment here and nowhere else. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { redisUrlIssue, redisDurability } from '@federa/redis';
import {
  federationEnvShape,
  parseTopology,
  temporalEnvShape,
  settlementScheduleOf,
  temporalSettings,
  temporalTlsOptions,
  usageArchiveOf,
  type Topology,
} from '@federa/domain';
import { metricsSettings, telemetryEnvShape, tracesUrl, type MetricsSettings } from '@federa/telemetry';
import { CONTROL_TASK_QUEUE } from '@federa/workflows';
import { parseAgentAssignment, type AgentAssignment } from './agent-assignment';

const env = z.object({
  ...federationEnvShape,
  ...temporalEnvShape,
  ...telemetryEnvShape,
  REDIS_URL: z.string().default('redis://127.0.0.1:6381').superRefine(redisUrlIssue),
  /** replicas a ledger write must reach before it is acknowledged (0: a single Redis, no WAIT) */
  FEDERA_REDIS_WAIT_REPLICAS: z.coerce.number().int().min(0).default(0),
  FEDERA_REDIS_WAIT_TIMEOUT_MS: z.coerce.number().int().min(1).default(200),
  FEDERA_TOPOLOGY: z.string().default('deploy/dev/topology.json'),
  FEDERA_CONTROL_TASK_QUEUE: z.string().default(CONTROL_TASK_QUEUE),
  /**
   * which sites' agents this process hosts, followed as the registry changes: "all" (or "*"),
   * "none", or a comma-separated list of site ids, `operator:<id>` and `jurisdiction:<CC>`
   */
  FEDERA_SITE_AGENTS: z.string().default('all'),
  /**
   * on (default): this process runs the control, served and settlement workers, the settlement
   * schedule, the hold sweeper and seeds tenants' ledger accounts. off: site agents only (with their
   * data plane, health probes, metrics and ready file), for an agent process inside a site's network
   * namespace or jurisdiction; the control work then runs in other (FEDERA_SITE_AGENTS=none) workers
   */
  FEDERA_CONTROL_WORKER: z.enum(['on', 'off']).default('on'),
  /** how often the site agents are reconciled with the registry */
  FEDERA_AGENT_SYNC_MS: z.coerce.number().int().min(100).default(1_000),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /**
   * a file the worker writes once it is running (its site agents serving and advertised), for a
   * supervisor that must not send requests before (npm start, the bench); any log level
   */
  FEDERA_READY_FILE: z.string().min(1).optional(),
  FEDERA_PROBE_INTERVAL_MS: z.coerce.number().int().min(100).default(2_000),
  /** settlement: on by default; the clearing key is created on first use in dev */
  FEDERA_SETTLEMENT: z.enum(['on', 'off']).default('on'),
  FEDERA_CLEARING_KEY_FILE: z.string().default('.data/dev/keys/clearing-key.json'),
  FEDERA_SETTLEMENT_EVERY_MS: z.coerce.number().int().min(1000).default(60_000),
  FEDERA_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(15_000),
  /**
   * the data plane: the shared secret the API presents to this process's site agents (at least 32
   * characters); without it the agents serve only the Temporal-dispatched path
   */
  FEDERA_AGENT_TOKEN: z.string().min(32).optional(),
  /** where the agents' data-plane endpoint listens (port 0: any free port, advertised in Redis) */
  FEDERA_AGENT_HOST: z.string().default('127.0.0.1'),
  FEDERA_AGENT_PORT: z.coerce.number().int().min(0).max(65535).default(0),
});

/** the worker's default metrics port (the API's is 9464) */
export const WORKER_METRICS_PORT = 9465;

export interface WorkerConfig {
  readonly temporalAddress: string;
  readonly namespace: string;
  /** mTLS options for Temporal connections (production), undefined for the plaintext dev server */
  readonly temporalTls: ReturnType<typeof temporalTlsOptions>;
  readonly redisUrl: string;
  /** WAIT for replicas after each ledger write (undefined: a single Redis) */
  readonly redisDurability: { readonly replicas: number; readonly timeoutMs: number } | undefined;
  readonly topology: Topology;
  readonly controlTaskQueue: string;
  readonly siteAgents: AgentAssignment;
  /** FEDERA_CONTROL_WORKER: false = site agents only (no control/settlement work, sweeper or seeding) */
  readonly controlWorker: boolean;
  readonly agentSyncMs: number;
  readonly logLevel: string;
  /** OTLP/HTTP traces URL; undefined = tracing off */
  readonly tracesUrl: string | undefined;
  /** written once the worker runs (FEDERA_READY_FILE), for npm start and the bench */
  readonly readyFile?: string | undefined;
  readonly billingPeriod: 'month' | 'day' | 'hour';
  readonly registryNamespace: string;
  readonly payloadKeysFile: string;
  readonly settlement: {
    readonly enabled: boolean;
    readonly clearingKeyFile: string;
    readonly periodMs: number;
    readonly graceMs: number;
    readonly everyMs: number;
    readonly currency: string;
    /** the default schedule (absent: fixed periodMs periods) */
    readonly schedule?: {
      readonly kind: 'calendar';
      readonly unit: 'day' | 'week' | 'month';
      readonly timeZone: string;
    };
    readonly archive?: { readonly dir: string; readonly afterMs: number };
  };
  readonly probeIntervalMs: number;
  readonly sweepIntervalMs: number;
  readonly holdReplayWindowMs: number;
  readonly agentDataPlane?: { readonly token: string; readonly host: string; readonly port: number };
  /** /metrics of this process (default 127.0.0.1:9465; FEDERA_METRICS_PORT=off: none) */
  readonly metrics: MetricsSettings;
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const e = env.parse(source);
  // before anything else: a production process against the wrong Temporal must not start at all
  const temporal = temporalSettings(e);
  if (e.FEDERA_CONTROL_WORKER === 'off' && e.FEDERA_SITE_AGENTS.trim() === 'none')
    throw new Error('FEDERA_CONTROL_WORKER=off with FEDERA_SITE_AGENTS=none leaves the worker nothing to do');
  return {
    temporalAddress: temporal.address,
    namespace: temporal.namespace,
    temporalTls: temporalTlsOptions(temporal, (path) => readFileSync(path)),
    redisUrl: e.REDIS_URL,
    redisDurability: redisDurability(e.FEDERA_REDIS_WAIT_REPLICAS, e.FEDERA_REDIS_WAIT_TIMEOUT_MS),
    topology: parseTopology(JSON.parse(readFileSync(e.FEDERA_TOPOLOGY, 'utf8'))),
    controlTaskQueue: e.FEDERA_CONTROL_TASK_QUEUE,
    siteAgents: parseAgentAssignment(e.FEDERA_SITE_AGENTS),
    controlWorker: e.FEDERA_CONTROL_WORKER === 'on',
    agentSyncMs: e.FEDERA_AGENT_SYNC_MS,
    logLevel: e.LOG_LEVEL,
    /** OTLP/HTTP traces URL; undefined = tracing off */
    tracesUrl: tracesUrl(e),
    readyFile: e.FEDERA_READY_FILE,
    billingPeriod: e.FEDERA_BILLING_PERIOD,
    registryNamespace: e.FEDERA_REGISTRY_NAMESPACE,
    payloadKeysFile: e.FEDERA_PAYLOAD_KEYS_FILE,
    settlement: {
      enabled: e.FEDERA_SETTLEMENT === 'on',
      clearingKeyFile: e.FEDERA_CLEARING_KEY_FILE,
      periodMs: e.FEDERA_SETTLEMENT_PERIOD_MS,
      graceMs: e.FEDERA_SETTLEMENT_GRACE_MS,
      everyMs: e.FEDERA_SETTLEMENT_EVERY_MS,
      currency: e.FEDERA_SETTLEMENT_CURRENCY,
      ...settlementScheduleOf(e),
      ...usageArchiveOf(e),
    },
    probeIntervalMs: e.FEDERA_PROBE_INTERVAL_MS,
    sweepIntervalMs: e.FEDERA_SWEEP_INTERVAL_MS,
    holdReplayWindowMs: e.FEDERA_HOLD_REPLAY_WINDOW_MS,
    metrics: metricsSettings(e, WORKER_METRICS_PORT),
    ...(e.FEDERA_AGENT_TOKEN
      ? {
          agentDataPlane: {
            token: e.FEDERA_AGENT_TOKEN,
            host: e.FEDERA_AGENT_HOST,
            port: e.FEDERA_AGENT_PORT,
          },
        }
      : {}),
  };
}
