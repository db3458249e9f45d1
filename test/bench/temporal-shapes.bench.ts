/**
 * bench:temporal-shapes — what one request workflow costs the Temporal server, by shape, on the
 * configuration `npm start` runs (the CLI dev server on SQLite + WAL, the project's tuning).
 *
 * The served-request workflow needs, per request: an eager start whose first task runs a local
 * activity (admission), a signal (the agent's usage report) and a second task with a local activity
 * (the post), and a deadline on the wait (a timer). Each shape below adds one of those to the one
 * before, with local activities that do nothing but return payloads of the real sizes, so the
 * figures are Temporal's alone: the floor under any request workflow of that shape, whatever the
 * activities do. The worker and client run in this process on one NativeConnection (as the API
 * does); the signal comes over a second connection (as the site agent's does).
 *
 * Prints one JSON line: per shape, server CPU ms per workflow (/proc), this process's CPU ms per
 * workflow, latency p50/p99 and throughput at the given concurrency.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { PROFILES, dataDir, ensureTemporal, type Profile } from '../../scripts/infra';
import { cpuMs, portOwner } from './e2e/proc';
import { runLoad, summarize } from './stats';
import * as activities from './temporal-shapes/shapes.activities';
import { reportSignal } from './temporal-shapes/shapes.workflows';

const PROFILE: Profile = {
  ...PROFILES.bench,
  name: 'bench-shapes',
  temporalPort: 7283,
  temporalPersistent: true,
};
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
// the served workflow's payloads, measured on its history: admission marker ~1.2 KB, report ~450 B
const ADMISSION_BYTES = Number(process.env.BENCH_ADMISSION_BYTES ?? 1200);
const REPORT = 'r'.repeat(450);
const ALL_SHAPES = ['admitOnly', 'admitWaitSettle', 'admitWaitSettleTimer'] as const;
const SHAPES = ALL_SHAPES.filter(
  (s) => !process.env.BENCH_SHAPES || process.env.BENCH_SHAPES.split(',').includes(s),
);

const sqlite = join(dataDir(PROFILE), 'temporal.sqlite');
for (const f of ['', '-wal', '-shm']) rmSync(sqlite + f, { force: true });
const temporal = await ensureTemporal(PROFILE);
const serverPid = portOwner(PROFILE.temporalPort);
if (!serverPid) throw new Error(`no process owns :${PROFILE.temporalPort}`);

const bundle = await bundleWorkflowCode({
  workflowsPath: fileURLToPath(new URL('./temporal-shapes/shapes.workflows.ts', import.meta.url)),
  logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
});
const connection = await NativeConnection.connect({ address: temporal.address });
const signalling = await Connection.connect({ address: temporal.address });
const taskQueue = `shapes-${Date.now().toString(36)}`;
const worker = await Worker.create({
  connection,
  taskQueue,
  workflowBundle: bundle,
  activities,
  maxConcurrentWorkflowTaskExecutions: 200,
  maxConcurrentLocalActivityExecutions: 400,
  ...(process.env.BENCH_WORKFLOW_THREAD === 'main' ? { debugMode: true, isolateExecutionTimeout: '5s' } : {}),
});
const running = worker.run();
const client = new Client({ connection });
const agent = new Client({ connection: signalling });

async function one(shape: (typeof ALL_SHAPES)[number], id: string): Promise<boolean> {
  const handle = await client.workflow.start(shape, {
    taskQueue,
    workflowId: id,
    args: [ADMISSION_BYTES],
    requestEagerStart: true,
  });
  if (shape !== 'admitOnly') await agent.workflow.getHandle(id).signal(reportSignal, REPORT);
  await handle.result();
  return handle.eagerlyStarted === true;
}

const results: Record<string, unknown> = {};
for (const shape of SHAPES) {
  await runLoad(30, CONCURRENCY, (i) => one(shape, `${taskQueue}-${shape}-warm-${i}`).then(() => undefined));
  let eager = 0;
  const server0 = cpuMs(serverPid)!;
  const self0 = process.cpuUsage();
  const { latencies, wallMs } = await runLoad(REQUESTS, CONCURRENCY, async (i) => {
    if (await one(shape, `${taskQueue}-${shape}-${i}`)) eager++;
  });
  const self = process.cpuUsage(self0);
  results[shape] = {
    temporal_cpu_ms: Math.round(((cpuMs(serverPid)! - server0) / REQUESTS) * 100) / 100,
    node_cpu_ms: Math.round(((self.user + self.system) / 1000 / REQUESTS) * 100) / 100,
    latency_ms: summarize(latencies),
    rps: Math.round((REQUESTS / wallMs) * 1000 * 10) / 10,
    eager: eager / REQUESTS,
  };
  process.stderr.write(`bench:temporal-shapes ${shape}: ${JSON.stringify(results[shape])}\n`);
}

worker.shutdown();
await running;
await connection.close();
await signalling.close();
await temporal.stop();
console.log(
  JSON.stringify({
    bench: 'temporal-shapes',
    at: new Date().toISOString(),
    requests: REQUESTS,
    concurrency: CONCURRENCY,
    temporal: 'temporal server start-dev, SQLite + WAL (npm start)',
    shapes: results,
  }),
);
