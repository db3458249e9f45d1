/**
 * The production-like stack on one machine: a Temporal cluster (two server processes on
 * PostgreSQL), a Redis Cluster of three masters and three replicas, API replicas behind HAProxy,
 * control workers, and every site in its own network namespace with its agent and its GPU endpoint
 * behind the WAN delay of its real distance. `npm run stack:prod`, `npm run test:stack`,
 * `bench:chaos` and `bench:load` all start it through this class, so they run the same thing.
 *
 * Without root (no network namespaces), the sites run on loopback without delay and the stack says
 * so; everything else is the same.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDevKeys, mintToken, readSigningKey } from '@federa/auth';
import { clearingKeyFiles, ensureClearingKey, ensureExchangeKey, exchangeKeyFiles } from '@federa/settlement';
import { ensurePayloadKeys } from '@federa/sealing';
import { ISO_COUNTRIES } from '@federa/domain';
import { ProcessGroup, WORKER_NODE_ARGS, descendants, waitForFile, waitForHttp } from '../processes';
import { ensureSecret } from '../secrets';
import { ensureHaproxy, ensureIptables, ensurePostgresql } from '../bootstrap.mjs';
import { createSiteNetwork, netnsSupport, type SiteNetwork } from './netns';
import { startHaproxy, type Haproxy } from './haproxy';
import { startPostgres, type Postgres } from './postgres';
import { ensureTemporalServerTools } from './temporal-tools';
import { startTemporalCluster, type TemporalCluster } from './temporal-cluster';
import { startReplicatedCluster, type ReplicatedCluster } from './redis-cluster';
import {
  BRIDGE_HOST,
  NAMESPACE_PREFIX,
  PORTS,
  STACK_DIR,
  STACK_SITES,
  stackTopology,
  writeStackTopology,
  type StackSite,
} from './layout';

export interface StackOptions {
  /** API replicas behind the load balancer (1 or 2) */
  readonly apiReplicas?: number;
  /** control workers (1 or 2) */
  readonly controlWorkers?: number;
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** print the apps' output (stack:prod) or keep it for crash reports (tests, benches) */
  readonly echo?: boolean;
  /** a process exited while the stack was running and not on purpose */
  readonly onUnexpectedExit: (name: string, code: number | string | null) => void;
  /** progress lines (default: none) */
  readonly log?: (line: string) => void;
  /** start from empty stores (Redis, Temporal's PostgreSQL), as the tests do */
  readonly fresh?: boolean;
}

/** The processes of the stack that faults are injected into, by the name they run under. */
export const apiName = (i: number) => `api-${i}`;
export const workerName = (i: number) => `worker-${i}`;
export const agentName = (siteId: string) => `agent-${siteId}`;
export const siteName = (siteId: string) => `site-${siteId}`;

export interface StackPids {
  readonly api: number[];
  readonly worker: number[];
  readonly agent: number[];
  readonly sites: number[];
  readonly temporal: number[];
  readonly redis: number[];
  readonly postgres: number[];
  readonly haproxy: number[];
}

/**
 * Where PostgreSQL keeps its data: under .data/stack, unless the checkout is in a folder the
 * `postgres` system user cannot enter (PostgreSQL refuses to run as root, so as root it runs as that
 * user): then in a folder of /var/tmp named after the checkout.
 */
function postgresDir(): string {
  const preferred = join(STACK_DIR, 'postgres');
  if (process.getuid?.() !== 0) return preferred;
  mkdirSync(STACK_DIR, { recursive: true });
  const reachable = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', STACK_DIR]).status === 0;
  if (reachable) return preferred;
  const dir = join(
    '/var/tmp',
    `federa-stack-${createHash('sha256').update(STACK_DIR).digest('hex').slice(0, 12)}`,
  );
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return join(dir, 'postgres');
}

/** a pid and every process below it (from /proc), or none when it is undefined */
function withDescendants(pid: number | undefined): number[] {
  return pid === undefined ? [] : [pid, ...descendants(pid)];
}

export class ProductionLikeStack {
  readonly group: ProcessGroup;
  network: SiteNetwork | undefined;
  postgres: Postgres | undefined;
  temporal: TemporalCluster | undefined;
  redis: ReplicatedCluster | undefined;
  haproxy: Haproxy | undefined;
  /** why the sites run without network namespaces, when they do (known once start() has begun) */
  degraded: string | undefined;
  private host = '127.0.0.1';
  private readonly apiReplicas: number;
  private readonly controlWorkers: number;
  private signingKeyFile: string | undefined;
  private env: Record<string, string> = {};
  private controlWorkerKeys: Record<string, string> = {};
  private apiKeys: Record<string, string> = {};
  private stopping = false;

  constructor(private readonly opts: StackOptions) {
    this.apiReplicas = opts.apiReplicas ?? 2;
    this.controlWorkers = opts.controlWorkers ?? 2;
    this.group = new ProcessGroup((name, code) => {
      if (!this.stopping) opts.onUnexpectedExit(name, code);
    });
  }

  /** the load balancer in front of the API replicas */
  get apiUrl(): string {
    return `http://127.0.0.1:${PORTS.api}`;
  }

  /** the load balancer in front of the Temporal frontends (reachable from the sites' namespaces) */
  get temporalAddress(): string {
    return `${this.host}:${PORTS.temporalProxy}`;
  }

  /** host:port of every Redis Cluster node, as clients are redirected to them */
  get redisSeeds(): string[] {
    if (!this.redis) throw new Error('the stack has not started');
    return this.redis.ports.map((p) => `${this.host}:${p}`);
  }

  get redisUrl(): string {
    if (!this.redis) throw new Error('the stack has not started');
    return this.redis.url;
  }

  get withNetworkDelay(): boolean {
    return this.network !== undefined;
  }

  /** where a site's emulator and agent listen: its namespace address, or loopback ports of its own */
  siteAddress(site: StackSite): { host: string; endpointPort: number; agentPort: number } {
    const i = STACK_SITES.indexOf(site);
    return this.network
      ? { host: site.address, endpointPort: PORTS.siteEndpoint, agentPort: PORTS.agentDataPlane }
      : { host: '127.0.0.1', endpointPort: PORTS.siteEndpoint + i, agentPort: PORTS.agentDataPlane + i };
  }

  async start(): Promise<void> {
    const log = this.opts.log ?? (() => undefined);
    mkdirSync(STACK_DIR, { recursive: true });
    if (this.opts.fresh) {
      for (const dir of [join(STACK_DIR, 'redis'), join(STACK_DIR, 'temporal'), postgresDir()])
        rmSync(dir, { recursive: true, force: true });
    }
    // Debian's packages, installed on first use (their own services kept off)
    ensureHaproxy();
    ensurePostgresql();
    if (process.getuid?.() === 0) ensureIptables();
    const support = netnsSupport();
    this.degraded = support.ok ? undefined : support.reason;
    this.host = support.ok ? BRIDGE_HOST : '127.0.0.1';
    if (this.degraded) log(`sites on loopback without WAN delay: ${this.degraded}`);
    else {
      log('network namespaces for the sites, behind their WAN delay…');
      this.network = await createSiteNetwork({
        prefix: NAMESPACE_PREFIX,
        hostAddress: BRIDGE_HOST,
        sites: STACK_SITES.map((s) => ({ siteId: s.id, address: s.address, oneWayDelayMs: s.rttMs / 2 })),
      });
    }
    const bind = this.network ? ['127.0.0.1', BRIDGE_HOST] : ['127.0.0.1'];
    log('PostgreSQL, the Temporal cluster (2 servers) and the Redis Cluster (3 masters + 3 replicas)…');
    const [, , redis] = await Promise.all([
      (async () => {
        this.postgres = await startPostgres({ dir: postgresDir(), port: PORTS.postgres });
      })(),
      ensureTemporalServerTools(),
      startReplicatedCluster({
        dir: join(STACK_DIR, 'redis'),
        ports: PORTS.redis,
        replicasPerMaster: 1,
        bind,
        announceIp: this.host,
      }),
    ]);
    this.redis = redis;
    if (this.stopping) return;
    this.temporal = await startTemporalCluster({
      dir: join(STACK_DIR, 'temporal'),
      postgres: this.postgres!,
      servers: 2,
      historyShards: 8,
      basePort: PORTS.temporalBase,
    });
    this.haproxy = await startHaproxy({
      dir: join(STACK_DIR, 'haproxy'),
      frontends: [
        {
          name: 'temporal',
          bind: `${this.host}:${PORTS.temporalProxy}`,
          mode: 'tcp',
          servers: this.temporal.frontends.map((address, i) => ({ name: `temporal-${i}`, address })),
        },
        {
          name: 'api',
          bind: `127.0.0.1:${PORTS.api}`,
          mode: 'http',
          healthPath: '/health',
          servers: PORTS.apiReplicas.map((port, i) => ({ name: apiName(i), address: `127.0.0.1:${port}` })),
        },
      ],
    });
    await this.prepareEnv();
    if (this.stopping) return;
    log('the sites (emulator + agent in each namespace), control workers and API replicas…');
    await this.launchApps();
    log('ready');
  }

  private async prepareEnv(): Promise<void> {
    const keysDir = join(STACK_DIR, 'keys');
    const keys = await ensureDevKeys(keysDir);
    this.signingKeyFile = keys.signingKeyFile;
    const clearing = await ensureClearingKey(clearingKeyFiles(keysDir));
    const exchange = await ensureExchangeKey(exchangeKeyFiles(keysDir));
    // each signing key goes to its one kind of process: the clearing key to the control workers
    // (settlement), the exchange-file key to the API replicas; the site agents get neither
    this.controlWorkerKeys = { FEDERA_CLEARING_KEY_FILE: clearing.keyFile };
    this.apiKeys = {
      FEDERA_EXCHANGE_KEY_FILE: exchange.keyFile,
      FEDERA_EXCHANGE_JWKS_FILE: exchange.jwksFile,
    };
    const payloadKeysFile = join(keysDir, 'payload-keys.json');
    await ensurePayloadKeys(payloadKeysFile, [...ISO_COUNTRIES]);
    const topology = stackTopology((site) => {
      const a = this.siteAddress(site);
      return { host: a.host, port: a.endpointPort };
    });
    this.env = {
      TEMPORAL_ADDRESS: this.temporalAddress,
      REDIS_URL: this.redisUrl,
      // an acknowledged ledger write is on a replica too (docs/stack.md, "Redis Cluster and durability")
      FEDERA_REDIS_WAIT_REPLICAS: '1',
      FEDERA_TOPOLOGY: writeStackTopology(join(STACK_DIR, 'topology.json'), topology),
      FEDERA_REGISTRY_NAMESPACE: topology.name,
      FEDERA_JWKS_FILE: keys.jwksFile,
      FEDERA_CLEARING_JWKS_FILE: clearing.jwksFile,
      FEDERA_PAYLOAD_KEYS_FILE: payloadKeysFile,
      FEDERA_USAGE_ARCHIVE_DIR: join(STACK_DIR, 'usage-archive'),
      FEDERA_EMULATOR_CONTROL_TOKEN: ensureSecret('stack', 'emulator-control-token'),
      FEDERA_AGENT_TOKEN: ensureSecret('stack', 'agent-token'),
      LOG_LEVEL: this.opts.logLevel ?? 'warn',
    };
  }

  private async launchApps(): Promise<void> {
    const echo = this.opts.echo ?? false;
    // every app's output is kept, echoed or not: what a failed run's API said is in logs/<name>.log
    const logFile = (name: string) => join(STACK_DIR, 'logs', `${name}.log`);
    rmSync(join(STACK_DIR, 'logs'), { recursive: true, force: true });
    const readyFiles: string[] = [];
    const readyFile = (name: string) => {
      const file = join(STACK_DIR, `${name}.ready`);
      rmSync(file, { force: true });
      readyFiles.push(file);
      return file;
    };
    for (const site of STACK_SITES) {
      const a = this.siteAddress(site);
      const wrap = this.network?.wrap(site.id);
      this.group.launch(
        siteName(site.id),
        'apps/site-emulator/src/main.ts',
        { ...this.env, FEDERA_EMULATOR_SITES: site.id, FEDERA_EMULATOR_HOST: a.host },
        { echo, logFile: logFile(siteName(site.id)), ...(wrap ? { wrap } : {}) },
      );
      this.group.launch(
        agentName(site.id),
        'apps/worker/src/main.ts',
        {
          ...this.env,
          FEDERA_CONTROL_WORKER: 'off',
          FEDERA_SITE_AGENTS: site.id,
          FEDERA_AGENT_HOST: a.host,
          FEDERA_AGENT_PORT: String(a.agentPort),
          FEDERA_METRICS_PORT: 'off',
          FEDERA_READY_FILE: readyFile(agentName(site.id)),
        },
        { echo, logFile: logFile(agentName(site.id)), nodeArgs: WORKER_NODE_ARGS, ...(wrap ? { wrap } : {}) },
      );
    }
    for (let i = 0; i < this.controlWorkers; i++) {
      this.group.launch(
        workerName(i),
        'apps/worker/src/main.ts',
        {
          ...this.env,
          ...this.controlWorkerKeys,
          FEDERA_SITE_AGENTS: 'none',
          FEDERA_METRICS_PORT: String(PORTS.workerMetrics[i]),
          FEDERA_READY_FILE: readyFile(workerName(i)),
        },
        { echo, logFile: logFile(workerName(i)), nodeArgs: WORKER_NODE_ARGS },
      );
    }
    for (let i = 0; i < this.apiReplicas; i++) {
      this.group.launch(
        apiName(i),
        'apps/api/src/main.ts',
        {
          ...this.env,
          ...this.apiKeys,
          FEDERA_API_PORT: String(PORTS.apiReplicas[i]),
          FEDERA_METRICS_PORT: String(PORTS.apiMetrics[i]),
        },
        { echo, logFile: logFile(apiName(i)) },
      );
    }
    const abort = () => this.stopping;
    await Promise.all([
      ...readyFiles.map((f) => waitForFile(f, 180_000, abort)),
      ...PORTS.apiReplicas
        .slice(0, this.apiReplicas)
        .map((port) => waitForHttp(`http://127.0.0.1:${port}/health`, 180_000, abort)),
    ]);
    // through the load balancer too: its health checks have seen the replicas up
    await waitForHttp(`${this.apiUrl}/health`, 30_000, abort);
  }

  /**
   * Starts an app process again (after a fault killed it) with the environment it had, and waits
   * until it serves: an API answers /health, a worker or agent has written its ready file.
   */
  async restartApp(name: string): Promise<void> {
    const readyFile = join(STACK_DIR, `${name}.ready`);
    rmSync(readyFile, { force: true });
    this.group.relaunch(name);
    const abort = () => this.stopping;
    const api = /^api-(\d+)$/.exec(name);
    if (api)
      await waitForHttp(`http://127.0.0.1:${PORTS.apiReplicas[Number(api[1])]}/health`, 180_000, abort);
    else if (!name.startsWith('site-')) await waitForFile(readyFile, 180_000, abort);
  }

  /** A tenant JWT signed with the stack's key. */
  async tenantToken(tenantId: string): Promise<string> {
    if (!this.signingKeyFile) throw new Error('the stack has not started');
    return mintToken({ privateJwk: readSigningKey(this.signingKeyFile), role: 'tenant', subject: tenantId });
  }

  /** An admin JWT (audits read the ledger through the API as an operator would). */
  async adminToken(): Promise<string> {
    if (!this.signingKeyFile) throw new Error('the stack has not started');
    return mintToken({ privateJwk: readSigningKey(this.signingKeyFile), role: 'admin', subject: 'stack' });
  }

  /** every process of the stack, by role, for CPU accounting */
  async pids(): Promise<StackPids> {
    const of = (prefix: string) =>
      this.group
        .names()
        .filter((n) => n.startsWith(prefix))
        .map((n) => this.group.processOf(n)?.pid)
        .filter((p): p is number => p !== undefined);
    const redisNodes = (await this.redis?.nodes()) ?? [];
    return {
      api: of('api-'),
      worker: of('worker-'),
      agent: of('agent-'),
      sites: of('site-'),
      temporal: [0, 1].map((i) => this.temporal?.pid(i)).filter((p): p is number => p !== undefined),
      redis: redisNodes.map((n) => n.pid).filter((p): p is number => p !== undefined),
      // PostgreSQL's work is done by its backends, HAProxy's by its worker: children of the pid we hold
      postgres: withDescendants(this.postgres?.pid()),
      haproxy: withDescendants(this.haproxy?.pid()),
    };
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Stops everything, apps first, and removes the namespaces. Safe at any point of start(). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.group.stop();
    await this.haproxy?.stop();
    await Promise.all([this.temporal?.stop(), this.redis?.stop()]);
    await this.postgres?.stop();
    await this.network?.teardown();
  }
}
