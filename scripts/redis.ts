/**
 * redis-server for a profile (AOF on, ACL users, bounded memory without eviction) and the local
 * Redis Cluster the ledger suite also runs on. A server already on its port is reused when it
 * accepts the profile's credentials, or runs without ACLs (said in a note); one we started is ours
 * to stop.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { redisCliPath, redisServerPath } from './bootstrap.mjs';
import { ensureRedisCredentials, redisUrl, writeAclFile, type RedisUser } from './redis-auth';
import { secretsDir } from './secrets';
import {
  dataDir,
  spawnLogged,
  stopper,
  waitFor,
  type Profile,
  type RunningService,
  type StartOptions,
} from './services';

/**
 * One short-lived connection for a readiness probe, anonymous or as `user`: no retries, no
 * reconnects, errors are answers (any failure answers `fallback`).
 */
export async function probeRedis<T>(
  target: { readonly port: number; readonly host?: string; readonly user?: RedisUser },
  probe: (client: Redis) => Promise<T>,
  fallback: T,
): Promise<T> {
  const client = new Redis({
    host: target.host ?? '127.0.0.1',
    port: target.port,
    ...(target.user ? { username: target.user.user, password: target.user.password } : {}),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    // the probe's own command says whether the node is ready
    enableReadyCheck: false,
    connectTimeout: 1000,
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

/**
 * How every Redis that holds a ledger stores it, single node or cluster node alike: the ledger's
 * durability rests on the append-only file, and it must never lose keys to eviction (when full,
 * Redis refuses writes instead).
 */
export function ledgerStorageArgs(maxMemory: string): string[] {
  return [
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--maxmemory',
    maxMemory,
    '--maxmemory-policy',
    'noeviction',
  ];
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
      ...ledgerStorageArgs(profile.redisMaxMemory),
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
    { port },
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
        ...ledgerStorageArgs(profile.redisMaxMemory),
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
