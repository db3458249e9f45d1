/** The Federa API process. */
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createVerifier } from '@federa/auth';
import { Ledger } from '@federa/ledger';
import { Registry } from '@federa/registry';
import { SettlementStore, readJwks } from '@federa/settlement';
import { readPayloadKeys } from '@federa/sealing';
import { existsSync } from 'node:fs';
import { Observations, SiteHealth } from '@federa/workflows';
import { Admission } from './admission';
import { AuditLog } from './audit';
import { loadConfig } from './config';
import { startApiServer } from './server';

const config = loadConfig();

/** The API keeps only public jurisdiction keys and its own private key. */
function apiPayloadKeys(file: string) {
  const keys = readPayloadKeys(file);
  return {
    jurisdictions: Object.fromEntries(Object.entries(keys.jurisdictions).map(([c, k]) => [c, k.publicJwk])),
    apiPrivate: keys.api.privateJwk,
  };
}
const log = pino({ name: 'federa-api', level: config.logLevel });
const redis = new Redis(config.redisUrl, { enableAutoPipelining: true });
redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
const registry = new Registry(redis, config.registryNamespace);
await registry.seed(config.topology);
const connection = await Connection.connect({
  address: config.temporalAddress,
  ...(config.temporalTls ? { tls: config.temporalTls } : {}),
});
const api = await startApiServer(
  {
    temporal: new Client({ connection, namespace: config.namespace }),
    ledger: new Ledger(redis, { period: config.billingPeriod }),
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
    admission: new Admission(config.maxInFlight, config.maxQueued, config.admission),
    requestLimits: config.requestLimits,
    serverLimits: config.serverLimits,
    audit: new AuditLog(redis, { retentionMs: config.auditRetentionMs }),
    payloadKeys: existsSync(config.payloadKeysFile) ? apiPayloadKeys(config.payloadKeysFile) : undefined,
    settlement: {
      store: new SettlementStore(redis, config.registryNamespace),
      jwks: readJwks(config.clearingJwksFile),
      config: config.settlement,
      namespace: config.registryNamespace,
    },
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
