/**
 * Starts and stops the real infrastructure on loopback: the Temporal CLI dev server and redis-server
 * (AOF on, ACL users, bounded memory), with data under .data/<profile>/. A service already answering
 * on its port is reused and left running; one we started is ours to stop. Pid files let `infra:down`
 * stop servers that `infra:up` left in the background.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { redisCliPath, redisServerPath, temporalPath } from './bootstrap.mjs';
import { ROOT } from './paths';
import { ensureRedisCredentials, redisUrl, writeAclFile, type RedisUser } from './redis-auth';
import { secretsDir } from './secrets';

export { ROOT };

export interface Profile {
  readonly name: string;
  readonly temporalPort: number;
  /** the Web UI port, or null for headless */
  readonly temporalUiPort: number | null;
  /** persist Temporal state in a SQLite file (dev), or keep it in memory (tests, benchmarks) */
  readonly temporalPersistent: boolean;
  readonly redisPort: number;
  /**
   * Redis `maxmemory`. With `noeviction`, a full Redis refuses writes (the ledger's reserve fails
   * loudly with an internal error) instead of silently evicting holds, balances or usage records.
   */
  readonly redisMaxMemory: string;
}

export const PROFILES = {
  dev: {
    name: 'dev',
    temporalPort: 7233,
    temporalUiPort: 8233,
    temporalPersistent: true,
    redisPort: 6381,
    redisMaxMemory: '1gb',
  },
  test: {
    name: 'test',
    temporalPort: 7243,
    temporalUiPort: null,
    temporalPersistent: false,
    redisPort: 6391,
    redisMaxMemory: '1gb',
  },
  bench: {
    name: 'bench',
    temporalPort: 7253,
    temporalUiPort: null,
    temporalPersistent: false,
    redisPort: 6392,
    // bench:settlement writes 1,000,000 usage records
    redisMaxMemory: '4gb',
  },
} as const satisfies Record<string, Profile>;

/** Dynamic config for the single-shard dev server (see ensureTemporal). */
export const TEMPORAL_DEV_TUNING = [
  'history.transferProcessorMaxPollRPS=1000',
  'history.timerProcessorMaxPollRPS=1000',
  'history.visibilityProcessorMaxPollRPS=1000',
];

export function dataDir(profile: Profile): string {
  const dir = join(ROOT, '.data', profile.name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface RunningService {
  readonly name: string;
  readonly address: string;
  /** true when this process started it (and so stops it) */
  readonly owned: boolean;
  /** something the user should know about a reused server (e.g. a Redis without ACLs) */
  readonly note?: string;
  stop(): Promise<void>;
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  child?: ChildProcess,
  logFile?: string,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      const tail =
        logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
      throw new Error(`${what} exited with code ${child.exitCode} before it was ready.\n${tail}`);
    }
    if (await check()) return;
    await sleep(150);
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms${logFile ? ` (log: ${logFile})` : ''}`);
}

async function temporalReady(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    await connection.workflowService.describeNamespace({ namespace: 'default' });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** One short-lived connection for a readiness probe: no retries, no reconnects, errors are answers. */
async function probeRedis<T>(port: number, probe: (client: Redis) => Promise<T>, fallback: T): Promise<T> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await probe(client);
  } catch {
    return fallback;
  } finally {
    client.disconnect();
  }
}

type RedisAnswer = 'down' | 'ok' | 'loading' | 'denied';

/** How a Redis on `port` answers a PING, anonymously or as `user` (no credentials are logged). */
async function redisAnswer(port: number, user?: RedisUser): Promise<RedisAnswer> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    // the ready check runs INFO, which an ACL-protected server refuses before AUTH
    enableReadyCheck: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch {
    return 'down';
  }
  try {
    if (user) await client.call('AUTH', user.user, user.password);
    return (await client.ping()) === 'PONG' ? 'ok' : 'down';
  } catch (err) {
    const message = (err as Error).message;
    // while loading the AOF, Redis answers LOADING: not ready yet
    if (message.startsWith('LOADING')) return 'loading';
    if (/^(NOAUTH|WRONGPASS|NOPERM)/.test(message)) return 'denied';
    return 'down';
  } finally {
    client.disconnect();
  }
}

function spawnLogged(
  cmd: string,
  args: string[],
  logFile: string,
  pidFile: string,
  detached: boolean,
): ChildProcess {
  const out = openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', out, out], detached });
  if (detached) child.unref();
  writeFileSync(pidFile, String(child.pid));
  return child;
}

function stopper(name: string, child: ChildProcess, pidFile: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timedOut = await Promise.race([exited.then(() => false), sleep(10_000).then(() => true)]);
      if (timedOut) {
        console.warn(`${name} did not stop within 10 s; killing it`);
        child.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(pidFile, { force: true });
  };
}

export interface StartOptions {
  /** keep running after this process exits (infra:up) */
  readonly detached?: boolean;
  readonly timeoutMs?: number;
}

export async function ensureTemporal(profile: Profile, opts: StartOptions = {}): Promise<RunningService> {
  const address = `127.0.0.1:${profile.temporalPort}`;
  const noop = { name: 'temporal', address, owned: false, stop: () => Promise.resolve() };
  if (await temporalReady(address)) return noop;
  const bin = temporalPath();
  if (!bin) throw new Error('the Temporal CLI is not installed: run `node scripts/bootstrap.mjs`');
  const dir = dataDir(profile);
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(profile.temporalPort),
    '--log-level',
    'warn',
    // Update-With-Start and other multi-operations
    '--dynamic-config-value',
    'frontend.enableExecuteMultiOperation=true',
    // The dev server has a single history shard whose transfer-queue reader polls the store at
    // most 20 times a second by default, so every task hand-off (workflow task, activity task)
    // waited ~25 ms on average: a request with three hand-offs paid ~75 ms for nothing. Raising the
    // cap makes hand-offs immediate; measured: a trivial workflow 50 → 14 ms, a request 150 → 37 ms.
    ...TEMPORAL_DEV_TUNING.flatMap((kv) => ['--dynamic-config-value', kv]),
  ];
  if (profile.temporalUiPort === null) args.push('--headless');
  else args.push('--ui-port', String(profile.temporalUiPort));
  if (profile.temporalPersistent) {
    args.push(
      '--db-filename',
      join(dir, 'temporal.sqlite'),
      '--sqlite-pragma',
      'journal_mode=WAL',
      '--sqlite-pragma',
      'synchronous=NORMAL',
    );
  }
  const logFile = join(dir, 'temporal.log');
  const pidFile = join(dir, 'temporal.pid');
  const child = spawnLogged(bin, args, logFile, pidFile, opts.detached ?? false);
  await waitFor(
    'the Temporal dev server',
    () => temporalReady(address),
    opts.timeoutMs ?? 60_000,
    child,
    logFile,
  );
  return { name: 'temporal', address, owned: true, stop: stopper('temporal', child, pidFile) };
}

/**
 * Redis for `profile`, with ACL users (see redis-auth.ts): the returned address carries the
 * services' user and password. A Redis already on the port is reused when it accepts that user; one
 * that accepts anonymous commands (started without ACLs, e.g. before this existed) is reused as is,
 * with a note saying so; one that refuses both belongs to someone else and is an error.
 */
export async function ensureRedis(profile: Profile, opts: StartOptions = {}): Promise<RunningService> {
  const port = profile.redisPort;
  const creds = ensureRedisCredentials(profile.name);
  const anonymous = await redisAnswer(port);
  if (anonymous === 'ok' || anonymous === 'loading') {
    await waitFor('redis-server', async () => (await redisAnswer(port)) === 'ok', opts.timeoutMs ?? 30_000);
    return {
      name: 'redis',
      address: redisUrl(port),
      owned: false,
      note:
        `the Redis already on 127.0.0.1:${port} runs without ACL users (anyone on this host can run any ` +
        `command); reusing it as is. Stop it to have it restarted with ACL users and maxmemory.`,
      stop: () => Promise.resolve(),
    };
  }
  if (anonymous === 'denied') {
    if ((await redisAnswer(port, creds.service)) === 'denied') {
      throw new Error(
        `the Redis on 127.0.0.1:${port} requires a password and refuses the '${creds.service.user}' ` +
          `user's password in ${secretsDir(profile.name)}: it was not started for the '${profile.name}' ` +
          `profile of this checkout (or those secrets were replaced). Stop it, or free the port.`,
      );
    }
    await waitFor(
      'redis-server',
      async () => (await redisAnswer(port, creds.service)) === 'ok',
      opts.timeoutMs ?? 30_000,
    );
    return {
      name: 'redis',
      address: redisUrl(port, creds.service),
      owned: false,
      stop: () => Promise.resolve(),
    };
  }
  const bin = redisServerPath();
  if (!bin) throw new Error('redis-server is not installed: run `node scripts/bootstrap.mjs`');
  const dir = join(dataDir(profile), 'redis');
  mkdirSync(dir, { recursive: true });
  const logFile = join(dataDir(profile), 'redis.log');
  const pidFile = join(dataDir(profile), 'redis.pid');
  const child = spawnLogged(
    bin,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--protected-mode',
      'yes',
      '--dir',
      dir,
      // users and password hashes (never passwords on the command line, where `ps` shows them)
      '--aclfile',
      writeAclFile(profile.name, creds),
      // the ledger's durability rests on the append-only file
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      // a ledger must never lose keys to eviction: when full, refuse writes instead
      '--maxmemory',
      profile.redisMaxMemory,
      '--maxmemory-policy',
      'noeviction',
      '--daemonize',
      'no',
    ],
    logFile,
    pidFile,
    opts.detached ?? false,
  );
  await waitFor(
    'redis-server',
    async () => (await redisAnswer(port, creds.admin)) === 'ok',
    opts.timeoutMs ?? 30_000,
    child,
    logFile,
  );
  return {
    name: 'redis',
    address: redisUrl(port, creds.service),
    owned: true,
    stop: stopper('redis', child, pidFile),
  };
}

async function clusterState(port: number): Promise<string | null> {
  return probeRedis(
    port,
    async (c) => /cluster_state:(\w+)/.exec(String(await c.call('CLUSTER', 'INFO')))?.[1] ?? null,
    null,
  );
}

/**
 * A local Redis Cluster of `ports.length` masters (no replicas) on loopback, for proving the ledger
 * scripts are cluster-safe. Reuses a cluster that is already up.
 */
export async function ensureRedisCluster(
  profile: Profile,
  ports: readonly number[],
  opts: StartOptions = {},
): Promise<RunningService> {
  const address = ports.map((p) => `127.0.0.1:${p}`).join(',');
  const states = await Promise.all(ports.map(clusterState));
  if (states.every((s) => s === 'ok'))
    return { name: 'redis-cluster', address, owned: false, stop: () => Promise.resolve() };
  const bin = redisServerPath();
  const cli = redisCliPath();
  if (!bin || !cli)
    throw new Error('redis-server/redis-cli are not installed: run `node scripts/bootstrap.mjs`');
  const stops: (() => Promise<void>)[] = [];
  for (const port of ports) {
    if (states[ports.indexOf(port)] !== null) continue; // a node is already listening there
    const dir = join(dataDir(profile), 'cluster', String(port));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const logFile = join(dir, 'redis.log');
    const pidFile = join(dataDir(profile), `redis-cluster-${port}.pid`);
    const child = spawnLogged(
      bin,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        '5000',
        '--appendonly',
        'yes',
        '--save',
        '',
      ],
      logFile,
      pidFile,
      opts.detached ?? false,
    );
    stops.push(stopper(`redis-cluster:${port}`, child, pidFile));
    await waitFor(
      `redis cluster node ${port}`,
      async () => (await clusterState(port)) !== null,
      30_000,
      child,
      logFile,
    );
  }
  const create = spawn(
    cli,
    [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  create.stdout.on('data', (d: Buffer) => (out += d.toString()));
  create.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => create.once('exit', resolve));
  if (code !== 0) throw new Error(`redis-cli --cluster create failed:\n${out}`);
  await waitFor(
    'the redis cluster',
    async () => (await Promise.all(ports.map(clusterState))).every((s) => s === 'ok'),
    30_000,
  );
  return {
    name: 'redis-cluster',
    address,
    owned: true,
    stop: async () => {
      await Promise.all(stops.map((s) => s()));
    },
  };
}

/** Stop servers that a detached `infra:up` left running for this profile. */
export async function stopDetached(profile: Profile): Promise<string[]> {
  const stopped: string[] = [];
  for (const name of ['temporal', 'redis']) {
    const pidFile = join(dataDir(profile), `${name}.pid`);
    if (!existsSync(pidFile)) continue;
    const pid = Number(readFileSync(pidFile, 'utf8'));
    try {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100; i++) {
        await sleep(100);
        process.kill(pid, 0);
      }
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone: that is the goal
    }
    rmSync(pidFile, { force: true });
    stopped.push(name);
  }
  return stopped;
}
