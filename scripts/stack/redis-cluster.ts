/**
 * The stack's Redis Cluster: masters with replicas (3 + 3 on ports 7311-7316 in the stack), AOF
 * on, never evicting (the ledger's storage settings, shared with the single Redis), ACL users as in
 * redis-auth.ts (replicas authenticate to their master as the admin user). cluster-node-timeout is
 * 3 s, so a master killed with -9 is replaced by its replica within seconds (measured by
 * test/integration/ledger-failover.test.ts). A cluster already up on the ports is reused; nodes
 * that are down are started again from their nodes.conf (they rejoin, as replicas after a failover).
 * Data, logs, configs and pid files live under `dir/<port>/`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { redisCliPath, redisServerPath } from '../bootstrap.mjs';
import { ensureRedisCredentials, writeAclFile, type RedisCredentials } from '../redis-auth';
import { ledgerStorageArgs, probeRedis } from '../redis';
import { spawnLogged, waitFor } from '../services';
import { nodeConfig, parseClusterInfo, parseClusterNodes, type ClusterInfo } from './redis-cluster-nodes';

export interface ReplicatedClusterOptions {
  readonly dir: string;
  readonly ports: readonly number[];
  readonly replicasPerMaster: number;
  readonly bind: readonly string[];
  /** the address clients are redirected to (MOVED): one every client of the cluster can reach */
  readonly announceIp: string;
  readonly maxMemory?: string;
  readonly detached?: boolean;
  /** whose Redis passwords (.data/<profile>/secrets/); default 'stack' */
  readonly secretsProfile?: string;
}

export interface ReplicatedCluster {
  /** redis+cluster://user:pass@host:p1,host:p2,... — what REDIS_URL is set to */
  readonly url: string;
  readonly ports: readonly number[];
  /** current role of each node as the cluster says it (CLUSTER NODES) */
  nodes(): Promise<{ port: number; role: 'master' | 'replica'; masterPort?: number; pid?: number }[]>;
  /** kill -9 one node (chaos) */
  kill(port: number): Promise<void>;
  /** start it again (it rejoins, as a replica after a failover) */
  restart(port: number): Promise<void>;
  /** cluster_state:ok on all reachable nodes, every master has its replicas */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export const CLUSTER_NODE_TIMEOUT_MS = 3000;

function pidOf(dir: string, port: number): number | undefined {
  const file = join(dir, String(port), 'redis.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  // only a live redis-server on this port is ours to signal (the pid may have been reused)
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('redis-server') && cmdline.includes(`:${port}`) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await sleep(50);
  }
  return false;
}

export async function startReplicatedCluster(opts: ReplicatedClusterOptions): Promise<ReplicatedCluster> {
  const group = opts.replicasPerMaster + 1;
  if (opts.ports.length % group !== 0 || opts.ports.length < 3 * group)
    throw new Error(
      `a cluster of ${opts.replicasPerMaster} replica(s) per master needs 3 or more masters: ` +
        `${opts.ports.length} ports given`,
    );
  const bin = redisServerPath();
  const cli = redisCliPath();
  if (!bin || !cli)
    throw new Error('redis-server/redis-cli are not installed: run `node scripts/bootstrap.mjs`');
  const dir = resolve(opts.dir);
  const profile = opts.secretsProfile ?? 'stack';
  const creds = ensureRedisCredentials(profile);
  const aclFile = writeAclFile(profile, creds);
  const host = opts.announceIp;
  const admin = creds.admin;
  const info = (port: number) =>
    probeRedis(
      { host, port, user: admin },
      async (c) => parseClusterInfo(String(await c.call('CLUSTER', 'INFO'))),
      null,
    );
  const clusterNodes = (port: number) =>
    probeRedis({ host, port, user: admin }, async (c) => String(await c.call('CLUSTER', 'NODES')), '');

  const startNode = async (port: number) => {
    const nodeDir = join(dir, String(port));
    mkdirSync(nodeDir, { recursive: true });
    const conf = join(nodeDir, 'redis.conf');
    const contents = nodeConfig({
      port,
      bind: opts.bind,
      announceIp: host,
      dir: nodeDir,
      aclFile,
      admin,
      storageArgs: ledgerStorageArgs(opts.maxMemory ?? '1gb'),
      nodeTimeoutMs: CLUSTER_NODE_TIMEOUT_MS,
    });
    writeFileSync(conf, contents, { mode: 0o600 });
    const logFile = join(nodeDir, 'redis.log');
    const child = spawnLogged(bin, [conf], logFile, join(nodeDir, 'redis.pid'), opts.detached ?? false);
    await waitFor(
      `redis cluster node ${port}`,
      async () => (await info(port)) !== null,
      30_000,
      child,
      logFile,
    );
  };

  const nodes = async () => {
    for (const port of opts.ports) {
      const text = await clusterNodes(port);
      if (!text) continue;
      const lines = parseClusterNodes(text);
      const portOf = new Map(lines.map((l) => [l.id, l.port]));
      return lines
        .filter((l) => opts.ports.includes(l.port))
        .sort((a, b) => a.port - b.port)
        .map((l) => {
          const masterPort = l.masterId ? portOf.get(l.masterId) : undefined;
          const pid = pidOf(dir, l.port);
          return {
            port: l.port,
            role: l.role,
            ...(masterPort !== undefined ? { masterPort } : {}),
            ...(pid !== undefined ? { pid } : {}),
          };
        });
    }
    return [];
  };

  const healthy = async (): Promise<boolean> => {
    const infos = await Promise.all(opts.ports.map(info));
    const reachable = opts.ports.filter((_, i) => infos[i] !== null);
    const up = infos.filter((i): i is ClusterInfo => i !== null);
    if (up.length === 0 || up.some((i) => i.state !== 'ok' || i.slotsAssigned !== 16384)) return false;
    const lines = parseClusterNodes(await clusterNodes(reachable[0]!)).filter((l) => !l.failing);
    const masters = lines.filter((l) => l.role === 'master' && l.slots > 0);
    // a replica counts once its initial sync is done (before that, WAIT does not count it)
    const linkUp = (port: number) =>
      probeRedis(
        { host, port, user: admin },
        async (c) => /master_link_status:up/.test(await c.info('replication')),
        false,
      );
    const replicas = lines.filter((r) => r.role === 'replica' && opts.ports.includes(r.port));
    const synced = new Set(
      (await Promise.all(replicas.map(async (r) => ((await linkUp(r.port)) ? r.id : null)))).filter(Boolean),
    );
    return masters.every(
      (m) => replicas.filter((r) => r.masterId === m.id && synced.has(r.id)).length >= opts.replicasPerMaster,
    );
  };
  const waitHealthy = (timeoutMs = 60_000) =>
    waitFor('the redis cluster (all slots served, every master replicated)', healthy, timeoutMs);

  // start what is not running; a node with a nodes.conf rejoins the cluster it belonged to
  const before = await Promise.all(opts.ports.map(info));
  for (const [i, port] of opts.ports.entries()) if (before[i] === null) await startNode(port);
  const now = await Promise.all(opts.ports.map(info));
  if (now.every((i) => i !== null && i.knownNodes <= 1 && i.slotsAssigned === 0))
    await createCluster(cli, host, opts, creds);
  await waitHealthy();

  const kill = async (port: number) => {
    const pid = pidOf(dir, port);
    if (pid === undefined) throw new Error(`no redis-server of this cluster runs on port ${port}`);
    process.kill(pid, 'SIGKILL');
    if (!(await exited(pid, 10_000))) throw new Error(`redis-server ${pid} (port ${port}) survived SIGKILL`);
  };
  const restart = async (port: number) => {
    if (pidOf(dir, port) === undefined) await startNode(port);
  };
  const stop = async () => {
    // graceful: on SIGTERM Redis fsyncs its AOF before it exits
    const pids = opts.ports.map((p) => pidOf(dir, p)).filter((p): p is number => p !== undefined);
    for (const pid of pids) process.kill(pid, 'SIGTERM');
    for (const pid of pids) if (!(await exited(pid, 15_000))) process.kill(pid, 'SIGKILL');
    for (const port of opts.ports) rmSync(join(dir, String(port), 'redis.pid'), { force: true });
  };
  const userinfo = `${encodeURIComponent(creds.service.user)}:${encodeURIComponent(creds.service.password)}`;
  return {
    url: `redis+cluster://${userinfo}@${opts.ports.map((p) => `${host}:${p}`).join(',')}`,
    ports: opts.ports,
    nodes,
    kill,
    restart,
    waitHealthy,
    stop,
  };
}

/** redis-cli --cluster create, the admin password in REDISCLI_AUTH (never on a command line). */
async function createCluster(
  cli: string,
  host: string,
  opts: ReplicatedClusterOptions,
  creds: RedisCredentials,
): Promise<void> {
  const create = spawn(
    cli,
    [
      '--user',
      creds.admin.user,
      '--cluster',
      'create',
      ...opts.ports.map((p) => `${host}:${p}`),
      '--cluster-replicas',
      String(opts.replicasPerMaster),
      '--cluster-yes',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, REDISCLI_AUTH: creds.admin.password } },
  );
  let out = '';
  create.stdout.on('data', (d: Buffer) => (out += d.toString()));
  create.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => create.once('exit', r));
  if (code !== 0) throw new Error(`redis-cli --cluster create failed:\n${out}`);
}
