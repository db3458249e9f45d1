/** The Federa worker process: control worker plus the site agents this process hosts. */
import { NativeConnection } from '@temporalio/worker';
import { pino } from 'pino';
import { Ledger } from '@federa/ledger';
import { connectRedis, replicaShortfall } from '@federa/redis';
import { Registry } from '@federa/registry';
import type { JWK } from 'jose';
import { SettlementStore, assertClearingKey, ensureClearingKey, readJwk } from '@federa/settlement';
import { Client, Connection } from '@temporalio/client';
import { existsSync, writeFileSync } from 'node:fs';
import { readPayloadKeys } from '@federa/sealing';
import { dirname, join } from 'node:path';
import {
  checkedStartup,
  installTemporalRuntime,
  ledgerObserver,
  routingObserver,
  startTracing,
  traceLogMixin,
} from '@federa/telemetry';
import { loadConfig } from './config';
import { startWorkerMetrics, type WorkerMetrics } from './metrics';
import { isAssigned } from './agent-assignment';
import { SiteAgents } from './site-agents';
import {
  createFederaWorkers,
  ensureSettlementSchedule,
  runAll,
  seedAccounts,
  startHealthProbes,
  startHoldSweeper,
} from './workers';

// a refused setting is one line naming its code, not a stack trace
const config = await checkedStartup('federa-worker', loadConfig);
// first: the provider (when configured) must be registered before any span or client exists
const tracing = startTracing({ serviceName: 'federa-worker', url: config.tracesUrl });
const log = pino({
  name: 'federa-worker',
  level: config.logLevel,
  ...(tracing.enabled ? { mixin: traceLogMixin } : {}),
});
// The SDK's own chatter (worker state changes, bundle stats) goes through pino at warn and above;
// site agents that host no workflows warn about it by design, so that line is dropped. With metrics
// on, the SDK's worker metrics are buffered for /metrics.
const temporalMetrics = installTemporalRuntime({
  log,
  logLevel: config.logLevel,
  metrics: config.metrics.port !== undefined,
  quiet: (message) => message.startsWith('No workflows registered'),
});

const redis = connectRedis(config.redisUrl, { name: 'federa-worker', maxRetriesPerRequest: 3 });
redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis connection error'));
// the topology file seeds the registry once; from then on the registry (changed through the API) rules
const registry = new Registry(redis, config.registryNamespace);
if (await registry.seed(config.topology)) log.info('registry seeded from the topology file');
const shortfall = await replicaShortfall(redis, config.redisDurability?.replicas ?? 0).catch(
  (err: Error) => `could not count Redis replicas: ${err.message}`,
);
if (shortfall) log.warn(shortfall);
const topology = () => registry.snapshot();
// an agent-only process (FEDERA_CONTROL_WORKER=off) leaves accounts, holds and settlement to control workers
const control = config.controlWorker;
if (control) await seedAccounts(redis, await topology());

const metricsPort = config.metrics.port;
const metrics: WorkerMetrics | undefined =
  metricsPort === undefined
    ? undefined
    : await startWorkerMetrics({
        settings: { ...config.metrics, port: metricsPort },
        redis,
        topology,
        // read at scrape time only, by when the ledger below exists
        ledger: { account: (tenantId) => ledger.account(tenantId) },
        settlement: {
          store: new SettlementStore(redis, config.registryNamespace),
          periodMs: config.settlement.periodMs,
          schedule: config.settlement.schedule,
          graceMs: config.settlement.graceMs,
        },
        temporal: temporalMetrics,
        onError: (err, collector) => log.warn({ err, collector }, 'metrics collection failed'),
      });
if (metrics) log.info({ url: metrics.server.url }, 'metrics listening');
const ledger: Ledger = new Ledger(redis, {
  period: config.billingPeriod,
  replayWindowMs: config.holdReplayWindowMs,
  durability: config.redisDurability,
  ...(metrics ? { observer: ledgerObserver(metrics.ledger) } : {}),
});
const stopSweeper = control
  ? startHoldSweeper(
      ledger,
      async () => (await topology()).topology.tenants.map((t) => t.id),
      config.sweepIntervalMs,
      (err) => log.warn({ err }, 'hold sweep failed'),
    )
  : () => undefined;

const connection = await NativeConnection.connect({
  address: config.temporalAddress,
  ...(config.temporalTls ? { tls: config.temporalTls } : {}),
});
/**
 * The clearing key, created on first use in dev. An exchange-file key given here stops the worker
 * at startup (KEY_PURPOSE_MISMATCH) rather than at its first statement.
 */
async function readClearingKey(keyFile: string): Promise<JWK> {
  await ensureClearingKey({ keyFile, jwksFile: join(dirname(keyFile), 'clearing-jwks.json') });
  const key = readJwk(keyFile);
  assertClearingKey(key, 'statement');
  return key;
}

const s = config.settlement;
const settlement =
  control && s.enabled
    ? {
        store: new SettlementStore(redis, config.registryNamespace),
        clearingKey: await checkedStartup('federa-worker', () => readClearingKey(s.clearingKeyFile)),
        config: {
          federation: config.registryNamespace,
          periodMs: s.periodMs,
          graceMs: s.graceMs,
          settlementCurrency: s.currency,
          ...(s.schedule ? { schedule: s.schedule } : {}),
          ...(s.archive ? { archive: s.archive } : {}),
        },
      }
    : undefined;
const workers = !control
  ? []
  : await createFederaWorkers({
      connection,
      namespace: config.namespace,
      redis,
      topology,
      controlTaskQueue: config.controlTaskQueue,
      ledger,
      ...(settlement ? { settlement } : {}),
      tracing,
      ...(metrics ? { routeObserver: routingObserver(metrics.routing) } : {}),
    });
// the site agents follow the registry: sites registered at runtime get one, removed ones lose it
const agents = await SiteAgents.start({
  connection,
  namespace: config.namespace,
  redis,
  topology,
  assignment: config.siteAgents,
  payloadKeys: existsSync(config.payloadKeysFile) ? readPayloadKeys(config.payloadKeysFile) : undefined,
  syncIntervalMs: config.agentSyncMs,
  onError: (err, siteId) => log.warn({ err, siteId }, 'site agent error'),
  ...(config.agentDataPlane ? { dataPlane: config.agentDataPlane } : {}),
  tracing,
  ...(metrics
    ? { metrics: { agent: metrics.agent, residencyRefusals: metrics.routing.residencyRefusals } }
    : {}),
});
if (!existsSync(config.payloadKeysFile))
  log.warn({ file: config.payloadKeysFile }, 'no payload keys: site agents accept clear payloads only');
if (settlement) {
  const clientConnection = await Connection.connect({
    address: config.temporalAddress,
    ...(config.temporalTls ? { tls: config.temporalTls } : {}),
  });
  const scheduleId = await ensureSettlementSchedule(
    new Client({ connection: clientConnection, namespace: config.namespace }),
    {
      namespace: config.registryNamespace,
      taskQueue: config.controlTaskQueue,
      everyMs: s.everyMs,
    },
  );
  log.info({ scheduleId, periodMs: s.periodMs, graceMs: s.graceMs }, 'settlement schedule in place');
}
const stopProbes = startHealthProbes(
  redis,
  async () => (await topology()).topology.sites.filter((s) => isAssigned(config.siteAgents, s)),
  config.probeIntervalMs,
  (err) => log.warn({ err }, 'health probes failed'),
  metrics?.routing,
);
log.info(
  {
    controlWorker: control,
    taskQueue: config.controlTaskQueue,
    workers: workers.length,
    siteAgents: agents.hosted(),
    dataPlane: agents.dataPlaneUrl ?? 'off',
  },
  'federa worker running',
);
if (config.readyFile) writeFileSync(config.readyFile, `${process.pid}\n`);

let stopping = false;
let stopped: () => void = () => undefined;
// what an agent-only process runs until a signal (its agents' workers run on their own)
const untilStopped = new Promise<void>((resolve) => (stopped = resolve));
const stop = () => {
  if (stopping) return;
  stopping = true;
  stopped();
  stopSweeper();
  stopProbes();
  temporalMetrics?.stop();
  log.info('shutting down workers');
  for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  void agents.close().catch((err) => log.warn({ err }, 'site agents did not stop cleanly'));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

try {
  await (control ? runAll(workers) : untilStopped);
  await agents.close();
} finally {
  await metrics?.server.close();
  await connection.close();
  redis.disconnect();
  // the last spans leave before the process does
  await tracing.shutdown().catch(() => undefined);
}
