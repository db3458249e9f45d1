/**
 * The production-like stack's Temporal: two real server processes (built from the Go module) on
 * a real PostgreSQL form ONE cluster. A worker polling one server serves workflows started through
 * the other; after a kill -9 of server 0, server 1 alone still runs workflows; server 0 restarts.
 * Test ports (PostgreSQL 5443, frontends 7363/7364) keep it apart from a running stack.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundle,
} from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresBinDir, startPostgres, type Postgres } from '../../scripts/stack/postgres';
import { startTemporalCluster, type TemporalCluster } from '../../scripts/stack/temporal-cluster';
import { temporalServerToolsIfBuilt } from '../../scripts/stack/temporal-tools';
import type { EchoActivities } from '../fixtures/stack/echo.workflows';

const missing = [
  temporalServerToolsIfBuilt() ? null : 'the Temporal server binary (build it: npm run stack:tools)',
  postgresBinDir() ? null : 'PostgreSQL (Debian: apt-get install postgresql)',
].filter((m): m is string => m !== null);
if (missing.length > 0) console.warn(`[temporal-cluster] skipped: not installed: ${missing.join('; ')}`);

const activities: EchoActivities = { shout: (text) => Promise.resolve(text.toUpperCase()) };

describe.skipIf(missing.length > 0)('a two-server Temporal cluster on PostgreSQL', () => {
  let dir: string;
  let postgres: Postgres;
  let cluster: TemporalCluster;
  let bundle: WorkflowBundle;

  const clusterOptions = (postgres: Postgres) => ({
    dir: join(dir, 'temporal'),
    postgres,
    servers: 2,
    historyShards: 4,
    basePort: 7363,
  });

  beforeAll(async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    dir = mkdtempSync(join(tmpdir(), 'fedt-temporal-'));
    // PostgreSQL runs as the postgres system user when we are root: it must enter the folder
    chmodSync(dir, 0o755);
    [postgres, bundle] = await Promise.all([
      startPostgres({ dir: join(dir, 'postgres'), port: 5443 }),
      bundleWorkflowCode({
        workflowsPath: fileURLToPath(new URL('../fixtures/stack/echo.workflows.ts', import.meta.url)),
        logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
      }),
    ]);
    cluster = await startTemporalCluster(clusterOptions(postgres));
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
    await postgres?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** Runs echo(text) with a worker polling through `workerFrontend`, started through `clientFrontend`. */
  async function echoThrough(workerFrontend: string, clientFrontend: string, text: string): Promise<string> {
    const taskQueue = `echo-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const workerConnection = await NativeConnection.connect({ address: workerFrontend });
    const clientConnection = await Connection.connect({ address: clientFrontend });
    try {
      const worker = await Worker.create({
        connection: workerConnection,
        namespace: 'default',
        taskQueue,
        workflowBundle: bundle,
        activities,
      });
      const client = new Client({ connection: clientConnection, namespace: 'default' });
      return await worker.runUntil(
        client.workflow.execute('echo', { taskQueue, workflowId: taskQueue, args: [text] }),
      );
    } finally {
      await clientConnection.close();
      await workerConnection.close();
    }
  }

  it('forms one cluster: each frontend serves workflows a worker on the other one runs', async () => {
    const [first, second] = cluster.frontends as [string, string];
    expect(cluster.frontends).toEqual(['127.0.0.1:7363', '127.0.0.1:7364']);
    expect(await echoThrough(first, second, 'via one')).toBe('VIA ONE');
    expect(await echoThrough(second, first, 'via two')).toBe('VIA TWO');
  }, 120_000);

  it('reuses a running cluster: a second start returns handles on the same processes', async () => {
    const again = await startTemporalCluster(clusterOptions(postgres));
    expect(again.frontends).toEqual(cluster.frontends);
    expect([again.pid(0), again.pid(1)]).toEqual([cluster.pid(0), cluster.pid(1)]);
    await expect(startTemporalCluster({ ...clusterOptions(postgres), historyShards: 8 })).rejects.toThrow(
      /created with 4 history shards/,
    );
  });

  it('keeps running workflows through server 1 after a kill -9 of server 0, which then restarts', async () => {
    const [first, second] = cluster.frontends as [string, string];
    const killed = cluster.pid(0);
    expect(killed).toBeGreaterThan(0);
    await cluster.kill(0);
    expect(cluster.pid(0)).toBeUndefined();
    expect(() => process.kill(killed!, 0)).toThrow();

    expect(await echoThrough(second, second, 'survivor')).toBe('SURVIVOR');

    await cluster.restart(0);
    expect(cluster.pid(0)).not.toBe(killed);
    expect(await echoThrough(second, first, 'back')).toBe('BACK');
  }, 240_000);
});
