/** The API's configuration: read from the environment here and nowhere else. */
import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';
import { redisUrlIssue, redisDurability } from '@federa/redis';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER } from '@federa/auth';
import {
  FederaError,
  federationEnvShape,
  parseTopology,
  temporalEnvShape,
  settlementScheduleOf,
  temporalSettings,
  temporalTlsOptions,
  usageArchiveOf,
  type Topology,
} from '@federa/domain';
import { metricsSettings, telemetryEnvShape, tracesUrl } from '@federa/telemetry';
import { CONTROL_TASK_QUEUE } from '@federa/workflows';

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
  FEDERA_API_HOST: z.string().default('127.0.0.1'),
  FEDERA_API_PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  /** a JWKS file (dev) … */
  FEDERA_JWKS_FILE: z.string().default('.data/dev/keys/jwks.json'),
  /** … or a JWKS URL (production); the URL wins when both are set */
  FEDERA_JWKS_URL: z.url().optional(),
  FEDERA_JWT_ISSUER: z.string().default(DEFAULT_ISSUER),
  FEDERA_JWT_AUDIENCE: z.string().default(DEFAULT_AUDIENCE),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** the clearing key's public JWKS: statements are verified against it, and it is published */
  FEDERA_CLEARING_JWKS_FILE: z.string().default('.data/dev/keys/clearing-jwks.json'),
  /**
   * the exchange-file private key, to sign exchange files (read when the file exists; without it
   * their signatures are 404), and its public JWKS. Never the clearing key: see exchange/exchange-key.ts
   */
  FEDERA_EXCHANGE_KEY_FILE: z.string().default('.data/dev/keys/exchange-key.json'),
  FEDERA_EXCHANGE_JWKS_FILE: z.string().default('.data/dev/keys/exchange-jwks.json'),
  /** request workflows one API process runs at once, and how many more may wait */
  FEDERA_API_MAX_INFLIGHT: z.coerce.number().int().min(1).default(200),
  FEDERA_API_MAX_QUEUED: z.coerce.number().int().min(0).default(1_000),
  /** a short, fair queue: per tenant, bounded in memory and in waiting time */
  FEDERA_API_MAX_QUEUED_PER_TENANT: z.coerce.number().int().min(0).default(100),
  FEDERA_API_MAX_QUEUED_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(256 * 1024 * 1024),
  FEDERA_API_QUEUE_WAIT_MS: z.coerce.number().int().min(1).default(5_000),
  /** prompt characters the API counts (more: PROMPT_TOO_LARGE), and the counting deadline */
  FEDERA_API_MAX_PROMPT_CHARS: z.coerce
    .number()
    .int()
    .min(1)
    .default(256 * 1024),
  FEDERA_API_COUNT_DEADLINE_MS: z.coerce.number().int().min(1).default(2_000),
  FEDERA_API_COUNT_WORKERS: z.coerce.number().int().min(1).default(2),
  /** slow clients: headers and whole-request deadlines, and the open-connection cap */
  FEDERA_API_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
  FEDERA_API_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1).default(30_000),
  FEDERA_API_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(8_192),
  /** longest JWT lifetime (exp − iat) the API accepts */
  FEDERA_JWT_MAX_LIFETIME_SEC: z.coerce
    .number()
    .int()
    .min(60)
    .default(24 * 3600),
  /**
   * the shared secret the site agents' data-plane endpoints require (at least 32 characters);
   * without it the API serves no data plane and /v1 answers 503
   */
  FEDERA_AGENT_TOKEN: z.string().min(32).optional(),
  /**
   * how long a request's next workflow task waits for this API's own control worker (its sticky
   * queue) before any control worker of the served queue takes it: what a request whose API died
   * mid-stream waits before another process posts its usage (the SDK's default, 10 s)
   */
  FEDERA_API_STICKY_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(10_000),
  /** the output ceiling of a request that sets no max_tokens (granted slice by slice) */
  FEDERA_DEFAULT_MAX_TOKENS: z.coerce.number().int().min(1).max(32_768).default(4_096),
  /** output tokens held at once: the first grant of a chat request, then each slice the agent asks for */
  FEDERA_GRANT_SLICE_TOKENS: z.coerce.number().int().min(16).max(32_768).default(1_024),
  /** audit entries older than this are trimmed from the audit stream (default 400 days) */
  FEDERA_AUDIT_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(400 * 24 * 3600 * 1000),
  /** the web console's Vite build, served at /console ("off": none); npm start builds it */
  FEDERA_CONSOLE_DIR: z.string().default('apps/console/dist'),
});

export function loadConfig(source: NodeJS.ProcessEnv = process.env) {
  // the API never reads the clearing key: a deployment still handing it one is stopped, not ignored,
  // so the key does not sit mounted in the internet-facing process
  if (source.FEDERA_CLEARING_KEY_FILE !== undefined)
    throw new FederaError(
      'KEY_PURPOSE_MISMATCH',
      'FEDERA_CLEARING_KEY_FILE is set for the API: the clearing key signs statements and belongs to the settlement worker only; ' +
        'give the API FEDERA_EXCHANGE_KEY_FILE (the exchange-file key) and remove the clearing key from its environment',
    );
  const e = env.parse(source);
  // before anything else: a production process against the wrong Temporal must not start at all
  const temporal = temporalSettings(e);
  const topology: Topology = parseTopology(JSON.parse(readFileSync(e.FEDERA_TOPOLOGY, 'utf8')));
  return {
    temporalAddress: temporal.address,
    namespace: temporal.namespace,
    /** mTLS options for Connection.connect (production), undefined for the plaintext dev server */
    temporalTls: temporalTlsOptions(temporal, (path) => readFileSync(path)),
    redisUrl: e.REDIS_URL,
    redisDurability: redisDurability(e.FEDERA_REDIS_WAIT_REPLICAS, e.FEDERA_REDIS_WAIT_TIMEOUT_MS),
    topology,
    controlTaskQueue: e.FEDERA_CONTROL_TASK_QUEUE,
    host: e.FEDERA_API_HOST,
    port: e.FEDERA_API_PORT,
    jwks: e.FEDERA_JWKS_URL
      ? new URL(e.FEDERA_JWKS_URL)
      : (JSON.parse(readFileSync(e.FEDERA_JWKS_FILE, 'utf8')) as JSONWebKeySet),
    issuer: e.FEDERA_JWT_ISSUER,
    audience: e.FEDERA_JWT_AUDIENCE,
    logLevel: e.LOG_LEVEL,
    /** OTLP/HTTP traces URL; undefined = tracing off */
    tracesUrl: tracesUrl(e),
    billingPeriod: e.FEDERA_BILLING_PERIOD,
    registryNamespace: e.FEDERA_REGISTRY_NAMESPACE,
    clearingJwksFile: e.FEDERA_CLEARING_JWKS_FILE,
    exchangeKeyFiles: { keyFile: e.FEDERA_EXCHANGE_KEY_FILE, jwksFile: e.FEDERA_EXCHANGE_JWKS_FILE },
    payloadKeysFile: e.FEDERA_PAYLOAD_KEYS_FILE,
    settlement: {
      federation: e.FEDERA_REGISTRY_NAMESPACE,
      periodMs: e.FEDERA_SETTLEMENT_PERIOD_MS,
      graceMs: e.FEDERA_SETTLEMENT_GRACE_MS,
      settlementCurrency: e.FEDERA_SETTLEMENT_CURRENCY,
      ...settlementScheduleOf(e),
      ...usageArchiveOf(e),
    },
    maxInFlight: e.FEDERA_API_MAX_INFLIGHT,
    maxQueued: e.FEDERA_API_MAX_QUEUED,
    admission: {
      maxQueuedPerTenant: e.FEDERA_API_MAX_QUEUED_PER_TENANT,
      maxQueuedBytes: e.FEDERA_API_MAX_QUEUED_BYTES,
      maxWaitMs: e.FEDERA_API_QUEUE_WAIT_MS,
    },
    requestLimits: {
      maxPromptChars: e.FEDERA_API_MAX_PROMPT_CHARS,
      countDeadlineMs: e.FEDERA_API_COUNT_DEADLINE_MS,
      requestIdWindowMs: e.FEDERA_HOLD_REPLAY_WINDOW_MS,
    },
    serverLimits: {
      headersTimeoutMs: e.FEDERA_API_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: Math.max(e.FEDERA_API_REQUEST_TIMEOUT_MS, e.FEDERA_API_HEADERS_TIMEOUT_MS),
      maxConnections: e.FEDERA_API_MAX_CONNECTIONS,
      countWorkers: e.FEDERA_API_COUNT_WORKERS,
    },
    jwtMaxLifetimeSec: e.FEDERA_JWT_MAX_LIFETIME_SEC,
    agentToken: e.FEDERA_AGENT_TOKEN,
    defaultMaxTokens: e.FEDERA_DEFAULT_MAX_TOKENS,
    stickyTimeoutMs: e.FEDERA_API_STICKY_TIMEOUT_MS,
    grantSliceTokens: e.FEDERA_GRANT_SLICE_TOKENS,
    auditRetentionMs: e.FEDERA_AUDIT_RETENTION_MS,
    consoleDir: e.FEDERA_CONSOLE_DIR === 'off' ? undefined : e.FEDERA_CONSOLE_DIR,
    /** /metrics of this process (default 127.0.0.1:9464; FEDERA_METRICS_PORT=off: none) */
    metrics: metricsSettings(e, 9464),
  };
}
