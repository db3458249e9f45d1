/** The Federa API process. */
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createVerifier } from '@federa/auth';
import { TopologyIndex } from '@federa/domain';
import { Ledger } from '@federa/ledger';
import { Admission } from './admission';
import { AuditLog } from './audit';
import { loadConfig } from './config';
import { startApiServer } from './server';

const config = loadConfig();
const log = pino({ name: 'federa-api', level: config.logLevel });
const topology = new TopologyIndex(config.topology);
const redis = new Redis(config.redisUrl, { enableAutoPipelining: true });
redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
const connection = await Connection.connect({ address: config.temporalAddress });
const api = await startApiServer(
  {
    temporal: new Client({ connection, namespace: config.namespace }),
    ledger: new Ledger(redis, { period: config.billingPeriod }),
    topology: () => topology,
    controlTaskQueue: config.controlTaskQueue,
    verify: createVerifier({ jwks: config.jwks, issuer: config.issuer, audience: config.audience }),
    log,
    admission: new Admission(config.maxInFlight, config.maxQueued),
    audit: new AuditLog(redis),
  },
  { host: config.host, port: config.port },
);
log.info({ url: api.url }, 'federa api listening');

const stop = async () => {
  await api.close();
  await connection.close();
  redis.disconnect();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
