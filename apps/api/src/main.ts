/** The Federa API process. */
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { pino } from 'pino';
import { createVerifier } from '@federa/auth';
import { Ledger } from '@federa/ledger';
import { connectRedis, replicaShortfall } from '@federa/redis';
import { Registry } from '@federa/registry';
import { SettlementStore, readJwks } from '@federa/settlement';
import { readPayloadKeys } from '@federa/sealing';
import { existsSync } from 'node:fs';
import { Observations, SiteHealth } from '@federa/workflows';
import { TokenCountPool } from '@federa/tokenizer/pool';
import {
  checkedStartup,
  createProcessRegistry,
  installTemporalRuntime,
  startMetricsServer,
  startTracing,
  temporalClientTracing,
  traceLogMixin,
} from '@federa/telemetry';
import { Admission } from './admission';
import { AuditLog } from './audit';
import { loadConfig } from './config';
import { startDataPlane } from './dataplane';
import { loadExchangeSigning } from './exchange/exchange-key';
import { createApiMetrics } from './metrics/api-metrics';
import { DEFAULT_REQUEST_LIMITS, startApiServer } from './server';

// settings and signing keys before anything connects: an API given the clearing key stops here,
// with one line naming the code (checkedStartup), not a stack trace
const { config, clearingJwks, exchangeSigning } = await checkedStartup('federa-api', async () => {
  const config = loadConfig();
  const clearingJwks = readJwks(config.clearingJwksFile);
  return {
    config,
    clearingJwks,
    exchangeSigning: await loadExchangeSigning(config.exchangeKeyFiles, clearingJwks),
  };
});
// first: the provider (when configured) must be registered before any span or client exists
const tracing = startTracing({ serviceName: 'federa-api', url: config.tracesUrl });
// Prometheus metrics (requests, ledger operations, routing decisions) unless FEDERA_METRICS_PORT=off;
// the registry is the process's one (`metricsRegistry`: `registry` is the federation's registry)
const metricsRegistry = config.metrics.port === undefined ? undefined : createProcessRegistry('api');
const metrics = metricsRegistry ? createApiMetrics(metricsRegistry) : undefined;

/** The API keeps only public jurisdiction keys and its own private key. */
function apiPayloadKeys(file: string) {
  const keys = readPayloadKeys(file);
  return {
    jurisdictions: Object.fromEntries(Object.entries(keys.jurisdictions).map(([c, k]) => [c, k.publicJwk])),
    apiPrivate: keys.api.privateJwk,
  };
}
const log = pino({
  name: 'federa-api',
  level: config.logLevel,
  ...(tracing.enabled ? { mixin: traceLogMixin } : {}),
});
// before the first NativeConnection: the SDK logs through pino (warn and above) and, with metrics
// on, buffers its worker metrics for /metrics
const temporalMetrics = installTemporalRuntime({
  log,
  logLevel: config.logLevel,
  metrics: config.metrics.port !== undefined,
});
if (metricsRegistry) temporalMetrics?.bind(metricsRegistry);
const redis = connectRedis(config.redisUrl, { name: 'federa-api' });
redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error'));
const registry = new Registry(redis, config.registryNamespace);
await registry.seed(config.topology);
const shortfall = await replicaShortfall(redis, config.redisDurability?.replicas ?? 0).catch(
  (err: Error) => `could not count Redis replicas: ${err.message}`,
);
if (shortfall) log.warn(shortfall);
// one native connection for the client and the in-process control worker: eager workflow start
// hands a request's first task to a worker on the very connection that started it
const connection = await NativeConnection.connect({
  address: config.temporalAddress,
  ...(config.temporalTls ? { tls: config.temporalTls } : {}),
});
const ledger = new Ledger(redis, {
  period: config.billingPeriod,
  durability: config.redisDurability,
  ...(metrics ? { observer: metrics.ledgerObserver } : {}),
});
const payloadKeys = existsSync(config.payloadKeysFile) ? apiPayloadKeys(config.payloadKeysFile) : undefined;
const tokenCounter = new TokenCountPool({
  size: config.serverLimits.countWorkers,
  deadlineMs: config.requestLimits.countDeadlineMs ?? DEFAULT_REQUEST_LIMITS.countDeadlineMs,
  maxQueued: 10_000,
});
const dataPlane = config.agentToken
  ? await startDataPlane({
      connection,
      namespace: config.namespace,
      controlTaskQueue: config.controlTaskQueue,
      redis,
      control: {
        topology: () => registry.snapshot(),
        ledger,
        observations: new Observations(redis),
        health: new SiteHealth(redis),
      },
      served: { tokenCounter, payloadKeys, topology: () => registry.snapshot() },
      agentToken: config.agentToken,
      defaultMaxTokens: config.defaultMaxTokens,
      stickyTimeoutMs: config.stickyTimeoutMs,
      grantSliceTokens: config.grantSliceTokens,
      log,
      tracing,
      metrics,
    })
  : undefined;
if (!dataPlane) log.warn('no FEDERA_AGENT_TOKEN: the data plane is off and /v1 answers 503');
const admission = new Admission(config.maxInFlight, config.maxQueued, config.admission);
metrics?.watchAdmission(admission);
const metricsServer =
  metricsRegistry && config.metrics.port !== undefined
    ? await startMetricsServer({
        registry: metricsRegistry,
        host: config.metrics.host,
        port: config.metrics.port,
        token: config.metrics.token,
        // the SDK's buffered worker metrics are drained into the registry on every scrape
        beforeScrape: () => Promise.resolve(temporalMetrics?.drain()),
        onError: (err) => log.warn({ err }, 'a metrics scrape failed'),
      })
    : undefined;
if (metricsServer) log.info({ url: metricsServer.url }, 'metrics listening');
const api = await startApiServer(
  {
    temporal: new Client({
      connection,
      namespace: config.namespace,
      ...temporalClientTracing(tracing),
    }),
    ledger,
    tokenCounter,
    consoleDir: config.consoleDir,
    ...(dataPlane ? { dataPlane: dataPlane.dataPlane } : {}),
    topology: () => registry.snapshot(),
    registry,
    observations: new Observations(redis),
    health: new SiteHealth(redis),
    controlTaskQueue: config.controlTaskQueue,
    verify: createVerifier({
      jwks: config.jwks,
      issuer: config.issuer,
      audience: config.audience,
      maxLifetimeSec: config.jwtMaxLifetimeSec,
    }),
    log,
    admission,
    metrics,
    requestLimits: config.requestLimits,
    serverLimits: config.serverLimits,
    audit: new AuditLog(redis, { retentionMs: config.auditRetentionMs }),
    payloadKeys,
    settlement: {
      store: new SettlementStore(redis, config.registryNamespace),
      jwks: clearingJwks,
      // exchange files are signed with it; without the file their signatures are not served (404)
      ...(exchangeSigning.key ? { exchangeKey: exchangeSigning.key } : {}),
      exchangeJwks: exchangeSigning.jwks,
      config: config.settlement,
      namespace: config.registryNamespace,
    },
  },
  { host: config.host, port: config.port },
);
log.info({ url: api.url }, 'federa api listening');

const stop = async () => {
  temporalMetrics?.stop();
  await api.close();
  await metricsServer?.close();
  await dataPlane?.close();
  await tokenCounter.close();
  await connection.close();
  redis.disconnect();
  // the spans of the last requests leave before the process does
  await tracing.shutdown().catch(() => undefined);
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
