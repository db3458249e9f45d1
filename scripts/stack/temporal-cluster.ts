/**
 * A real Temporal cluster for the production-like stack: N server processes built from the
 * server's Go module (temporal-tools.ts) on PostgreSQL (postgres.ts), schema set up by Temporal's
 * SQL tool (temporal-schema.ts), one YAML per process (temporal-config.ts). The processes join
 * into ONE cluster through the membership table, so a kill -9 of one leaves the others serving:
 * its history shards and task-queue partitions move to the survivors within seconds.
 *
 * The number of history shards is fixed FOREVER once the cluster's schema is first used (it
 * decides which shard holds each workflow); dir/cluster.json records it and a start with another
 * count is refused with a clear error instead of the server's.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { spawnLogged, waitFor } from '../services';
import type { Postgres } from './postgres';
import { serverPorts, TEMPORAL_BASE_PORT, TEMPORAL_HOST, writeClusterConfigs } from './temporal-config';
import { setupTemporalSchema } from './temporal-schema';
import { ensureTemporalServerTools } from './temporal-tools';

export interface TemporalClusterOptions {
  /** e.g. .data/stack/temporal: configs, logs (server-N.log), pid files */
  readonly dir: string;
  readonly postgres: Postgres;
  readonly servers: number;
  /** fixed forever once the schema is set up (see the file comment); e.g. 8 */
  readonly historyShards: number;
  readonly logLevel?: 'warn' | 'info';
  /** the first frontend's port; server i's frontend is basePort + i (default 7263) */
  readonly basePort?: number;
  /** keep the servers running after this process exits (stack up) */
  readonly detached?: boolean;
  /** per wait (a server's frontend, the namespace); default 120 s */
  readonly timeoutMs?: number;
}

export interface TemporalCluster {
  /** host:port of each server's frontend gRPC, in server order */
  readonly frontends: readonly string[];
  /** host:port of each server's Prometheus metrics, in server order */
  readonly metrics: readonly string[];
  pid(index: number): number | undefined;
  /** kill -9 one server process (chaos) and wait until it is gone */
  kill(index: number): Promise<void>;
  /** start a killed server again and wait until its frontend answers */
  restart(index: number): Promise<void>;
  stop(): Promise<void>;
}

export const TEMPORAL_NAMESPACE = 'default';
const RETENTION = '1 day';
const PROBE_TASK_QUEUE = 'federa-cluster-probe';

async function withConnection<T>(address: string, use: (c: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    return await use(connection);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

const succeeds = (work: () => Promise<unknown>) =>
  work().then(
    () => true,
    () => false,
  );

const frontendAnswers = (address: string) =>
  succeeds(() => withConnection(address, (c) => c.workflowService.getSystemInfo({})));

const namespaceKnown = (address: string) =>
  succeeds(() =>
    withConnection(address, (c) => c.workflowService.describeNamespace({ namespace: TEMPORAL_NAMESPACE })),
  );

/**
 * describeNamespace answers from the frontend's cache; a workflow start also needs the history
 * service's namespace cache (refreshed every 2 s). Starting (then terminating) a throwaway
 * workflow through a frontend is the real test.
 */
const workflowsStart = (address: string) =>
  succeeds(() =>
    withConnection(address, async (connection) => {
      const client = new Client({ connection, namespace: TEMPORAL_NAMESPACE });
      const handle = await client.workflow.start('federaClusterProbe', {
        taskQueue: PROBE_TASK_QUEUE,
        workflowId: `cluster-probe-${address}-${Date.now()}`,
        workflowRunTimeout: '1 minute',
      });
      await handle.terminate('readiness probe');
    }),
  );

async function registerNamespace(address: string): Promise<void> {
  await withConnection(address, async (c) => {
    try {
      await c.workflowService.registerNamespace({
        namespace: TEMPORAL_NAMESPACE,
        workflowExecutionRetentionPeriod: msToTs(RETENTION),
      });
    } catch (e) {
      // gRPC ALREADY_EXISTS: registered by an earlier start
      if ((e as { code?: number }).code !== 6) throw e;
    }
  });
}

function checkShardCount(dir: string, historyShards: number): void {
  const file = join(dir, 'cluster.json');
  if (existsSync(file)) {
    const recorded = (JSON.parse(readFileSync(file, 'utf8')) as { historyShards: number }).historyShards;
    if (recorded !== historyShards) {
      throw new Error(
        `this Temporal cluster was created with ${recorded} history shards; the count cannot change ` +
          `(asked for ${historyShards}). Use ${recorded}, or delete ${dir} and its databases to start over.`,
      );
    }
    return;
  }
  writeFileSync(file, `${JSON.stringify({ historyShards })}\n`);
}

/** The pid in server-N.pid, when that process still runs the server with our config. */
function livePid(pidFile: string, configFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8'));
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  // a recycled pid must not be killed: on Linux, check what that process runs
  const cmdline = `/proc/${pid}/cmdline`;
  if (
    existsSync('/proc/self') &&
    (!existsSync(cmdline) || !readFileSync(cmdline, 'utf8').includes(configFile))
  ) {
    return undefined;
  }
  return pid;
}

export async function startTemporalCluster(opts: TemporalClusterOptions): Promise<TemporalCluster> {
  const basePort = opts.basePort ?? TEMPORAL_BASE_PORT;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  if (opts.servers < 1) throw new Error('a Temporal cluster needs at least one server');
  mkdirSync(opts.dir, { recursive: true });
  const indexes = Array.from({ length: opts.servers }, (_, i) => i);
  const ports = indexes.map((i) => serverPorts(basePort, i));
  const frontends = ports.map((p) => `${TEMPORAL_HOST}:${p.frontend}`);
  const metrics = ports.map((p) => `${TEMPORAL_HOST}:${p.metrics}`);
  const pidFile = (i: number) => join(opts.dir, `server-${i}.pid`);
  const logFile = (i: number) => join(opts.dir, `server-${i}.log`);
  const configFile = (i: number) => join(opts.dir, `server-${i}.yaml`);
  const children = new Map<number, ChildProcess>();

  const pid = (i: number) => {
    const child = children.get(i);
    if (child && child.exitCode === null && child.signalCode === null) return child.pid;
    return livePid(pidFile(i), configFile(i));
  };

  const tools = await ensureTemporalServerTools();
  const spawnServer = (i: number) => {
    const child = spawnLogged(
      tools.server,
      ['--config-file', configFile(i), '--allow-no-auth', 'start'],
      logFile(i),
      pidFile(i),
      opts.detached ?? false,
    );
    children.set(i, child);
    return child;
  };
  const waitUntil = (i: number, what: string, check: (a: string) => Promise<boolean>) =>
    waitFor(
      `Temporal server ${i} (${frontends[i]}): ${what}`,
      () => check(frontends[i]!),
      timeoutMs,
      children.get(i),
      logFile(i),
    );

  const startServer = async (i: number) => {
    if (pid(i) !== undefined) return; // running (an earlier detached start), maybe still joining
    spawnServer(i);
    await waitUntil(i, 'frontend', frontendAnswers);
  };

  checkShardCount(opts.dir, opts.historyShards);
  const answering = await Promise.all(frontends.map((f) => namespaceKnown(f)));
  if (!answering.every(Boolean)) {
    await setupTemporalSchema(tools.sqlTool, opts.postgres);
    writeClusterConfigs(opts.dir, {
      servers: opts.servers,
      basePort,
      historyShards: opts.historyShards,
      postgres: opts.postgres,
      logLevel: opts.logLevel ?? 'warn',
    });
    // The first server initialises the cluster metadata and shards alone; the others then join.
    await startServer(0);
    await Promise.all(indexes.slice(1).map(startServer));
    await Promise.all(indexes.map((i) => waitUntil(i, 'frontend', frontendAnswers)));
    await registerNamespace(frontends[0]!);
    await Promise.all(indexes.map((i) => waitUntil(i, 'namespace', namespaceKnown)));
    await Promise.all(indexes.map((i) => waitUntil(i, 'workflow start', workflowsStart)));
  }

  const kill = async (i: number) => {
    const running = pid(i);
    if (running === undefined) return;
    const child = children.get(i);
    const exited = child ? new Promise<void>((r) => child.once('exit', () => r())) : undefined;
    process.kill(running, 'SIGKILL');
    if (exited) await exited;
    else while (livePid(pidFile(i), configFile(i)) !== undefined) await sleep(50);
    rmSync(pidFile(i), { force: true });
  };

  return {
    frontends,
    metrics,
    pid,
    kill,
    restart: async (i) => {
      if (pid(i) !== undefined) throw new Error(`Temporal server ${i} is running: kill it first`);
      spawnServer(i);
      await waitUntil(i, 'frontend', frontendAnswers);
      await waitUntil(i, 'namespace', namespaceKnown);
    },
    stop: async () => {
      await Promise.all(indexes.map((i) => stopServer(i)));
    },
  };

  /** SIGTERM (graceful: the server hands its shards over), SIGKILL after 20 s. */
  async function stopServer(i: number): Promise<void> {
    const running = pid(i);
    if (running === undefined) return;
    process.kill(running, 'SIGTERM');
    for (let waited = 0; pid(i) !== undefined; waited += 100) {
      if (waited === 20_000) await kill(i);
      else await sleep(100);
    }
    rmSync(pidFile(i), { force: true });
  }
}
