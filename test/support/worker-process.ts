/**
 * Runs the real worker app (`apps/worker/src/main.ts`) as a child process for a test federation, so
 * a test can kill it mid-flight and start it again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { ROOT } from '../../scripts/infra';
import type { Federation } from './harness';

export interface WorkerProcess {
  readonly proc: ChildProcess;
  /** resolves once the worker says it is running */
  readonly ready: Promise<void>;
  /** the worker's /metrics URL, from its `metrics listening` line (FEDERA_METRICS_PORT=0: a free port) */
  readonly metricsUrl: Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** The test federation's topology and payload keys as files, where the apps' configs read them. */
export function writeFederationFiles(fed: Federation): {
  dir: string;
  topologyFile: string;
  payloadKeysFile: string;
} {
  const dir = join(ROOT, '.data', 'test', fed.topology.topology.name);
  mkdirSync(dir, { recursive: true });
  const topologyFile = join(dir, 'topology.json');
  writeFileSync(topologyFile, JSON.stringify(fed.topology.topology));
  const payloadKeysFile = join(dir, 'payload-keys.json');
  writeFileSync(payloadKeysFile, JSON.stringify(fed.payloadKeys), { mode: 0o600 });
  return { dir, topologyFile, payloadKeysFile };
}

/** `env` adds to or overrides the worker's environment (e.g. FEDERA_SITE_AGENTS: which agents it hosts). */
export function spawnWorker(fed: Federation, env: Record<string, string> = {}): WorkerProcess {
  const { topologyFile, payloadKeysFile } = writeFederationFiles(fed);
  const proc = spawn(process.execPath, ['--import', 'tsx', 'apps/worker/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      REDIS_URL: fed.redisUrl,
      FEDERA_TOPOLOGY: topologyFile,
      FEDERA_CONTROL_TASK_QUEUE: fed.controlTaskQueue,
      FEDERA_REGISTRY_NAMESPACE: fed.topology.topology.name,
      FEDERA_SETTLEMENT: 'off',
      FEDERA_PAYLOAD_KEYS_FILE: payloadKeysFile,
      // its site agents serve the data plane too, as in `npm start`
      FEDERA_AGENT_TOKEN: fed.agentToken,
      LOG_LEVEL: 'info',
      // a free port each, so test workers never collide on the default one
      FEDERA_METRICS_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let foundMetricsUrl: (url: string) => void = () => undefined;
  const metricsUrl = new Promise<string>((resolve) => (foundMetricsUrl = resolve));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /"url":"([^"]+)"[^\n]*"msg":"metrics listening"/.exec(output);
      if (listening) foundMetricsUrl(listening[1]!);
      if (output.includes('federa worker running')) resolve();
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', (code) =>
      reject(new Error(`worker exited (${code}) before it was ready:\n${output.slice(-2000)}`)),
    );
  });
  ready.catch(() => undefined);
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
