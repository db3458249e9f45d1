/**
 * Runs the real API app (`apps/api/src/main.ts`) as a child process for a test federation, so a test
 * can kill it mid-stream. It gets what `npm start` gives it: Temporal, Redis (the services' user),
 * the topology and registry namespace, the JWKS the test mints tokens with, the payload keys, the
 * clearing JWKS and the exchange-file key (never the clearing key), and the agents' token, and listens
 * on a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { exchangeKeyFiles } from '@federa/settlement';
import { ROOT } from '../../scripts/infra';
import { AUDIENCE, ISSUER, type Federation } from './harness';
import { writeFederationFiles } from './worker-process';

export interface ApiProcess {
  readonly proc: ChildProcess;
  /** the API's base URL, once it listens */
  readonly ready: Promise<string>;
  /** its /metrics URL (logged before it listens; metrics are on, on a free port, unless env says 'off') */
  readonly metricsUrl: Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function spawnApi(fed: Federation, env: Record<string, string> = {}): ApiProcess {
  const { dir, topologyFile, payloadKeysFile } = writeFederationFiles(fed);
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [fed.signingKey.publicJwk] }));
  const clearingJwksFile = join(dir, 'clearing-jwks.json');
  writeFileSync(clearingJwksFile, JSON.stringify({ keys: [fed.clearingKey.publicJwk] }));
  const exchange = exchangeKeyFiles(dir);
  writeFileSync(exchange.keyFile, JSON.stringify(fed.exchangeKey.privateJwk), { mode: 0o600 });
  writeFileSync(exchange.jwksFile, JSON.stringify({ keys: [fed.exchangeKey.publicJwk] }));
  // the API refuses to start with a clearing key in its environment: none leaks in from the runner's
  const { FEDERA_CLEARING_KEY_FILE: _notForTheApi, ...inherited } = process.env;
  const proc = spawn(process.execPath, ['--import', 'tsx', 'apps/api/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...inherited,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      REDIS_URL: fed.redisUrl,
      FEDERA_TOPOLOGY: topologyFile,
      FEDERA_CONTROL_TASK_QUEUE: fed.controlTaskQueue,
      FEDERA_REGISTRY_NAMESPACE: fed.topology.topology.name,
      FEDERA_PAYLOAD_KEYS_FILE: payloadKeysFile,
      FEDERA_JWKS_FILE: jwksFile,
      FEDERA_JWT_ISSUER: ISSUER,
      FEDERA_JWT_AUDIENCE: AUDIENCE,
      FEDERA_CLEARING_JWKS_FILE: clearingJwksFile,
      FEDERA_EXCHANGE_KEY_FILE: exchange.keyFile,
      FEDERA_EXCHANGE_JWKS_FILE: exchange.jwksFile,
      FEDERA_AGENT_TOKEN: fed.agentToken,
      FEDERA_API_PORT: '0',
      // a free port: spawned APIs must not collide on the default 9464
      FEDERA_METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // pino's JSON lines: {"msg":"federa api listening","url":"http://127.0.0.1:…"}, and the same for metrics
  const urlLogged = (msg: string) =>
    new Promise<string>((resolve, reject) => {
      const onData = () => {
        const line = output
          .split('\n')
          .slice(0, -1) // complete lines only
          .find((l) => l.includes(`"msg":"${msg}"`));
        const url = line ? (JSON.parse(line) as { url?: string }).url : undefined;
        if (url) resolve(url);
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      // 'close', not 'exit': by then its output is all read, so the reason it stopped is in the message
      proc.once('close', (code) =>
        reject(new Error(`api exited (${code}) before it logged '${msg}':\n${output.slice(-2000)}`)),
      );
    });
  const collect = (chunk: Buffer) => (output += chunk.toString());
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);
  const ready = urlLogged('federa api listening');
  ready.catch(() => undefined);
  const metricsUrl = urlLogged('metrics listening');
  metricsUrl.catch(() => undefined);
  return {
    proc,
    ready,
    metricsUrl,
    kill: (signal = 'SIGKILL') =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill(signal);
      }),
  };
}
