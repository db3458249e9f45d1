/** The Federa worker process: control worker plus the site agents this process hosts. */
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { TopologyIndex } from '@federa/domain';
import { loadConfig } from './config';
import { createFederaWorkers, runAll, seedAccounts } from './workers';

const config = loadConfig();
const log = pino({ name: 'federa-worker', level: config.logLevel });
Runtime.install({
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
});

const topology = new TopologyIndex(config.topology);
const redis = new Redis(config.redisUrl, { enableAutoPipelining: true, maxRetriesPerRequest: 3 });
await seedAccounts(redis, topology);

const connection = await NativeConnection.connect({ address: config.temporalAddress });
const workers = await createFederaWorkers({
  connection,
  namespace: config.namespace,
  redis,
  topology: () => topology,
  controlTaskQueue: config.controlTaskQueue,
  siteAgents: config.siteAgents,
});
log.info({ taskQueue: config.controlTaskQueue, workers: workers.length }, 'federa worker running');

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  log.info('shutting down workers');
  for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

try {
  await runAll(workers);
} finally {
  await connection.close();
  redis.disconnect();
}
