/**
 * The whole federation on this machine, started the way `npm start` starts it: Temporal and Redis
 * of a profile (started or reused, see infra.ts), the dev keys, then the site emulators, the worker
 * and the API as child processes. Shared by `npm start` and `npm run bench:e2e`, so the benchmark
 * measures exactly what users run. `stop()` is safe at any point, even halfway through `start()`.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDevKeys, mintToken, readSigningKey, type Role } from '@federa/auth';
import { clearingKeyFiles, ensureClearingKey, ensureExchangeKey, exchangeKeyFiles } from '@federa/settlement';
import { ensurePayloadKeys } from '@federa/sealing';
import { ISO_COUNTRIES } from '@federa/domain';
import { dataDir, ensureRedis, ensureTemporal, type Profile, type RunningService } from './infra';
import { ProcessGroup, WORKER_NODE_ARGS, waitForFile, waitForHttp } from './processes';
import { ensureSecret } from './secrets';

export interface FederationOptions {
  readonly profile: Profile;
  readonly apiPort: number;
  readonly topologyFile: string;
  /** extra environment for the three apps (e.g. LOG_LEVEL, a private registry namespace) */
  readonly env?: Record<string, string>;
  /**
   * Where the API's and the worker's /metrics listen (loopback), or 'off' for no metrics at all.
   * Default: 9464 and 9465 (the dev profile's; a second federation on this machine picks others).
   */
  readonly metrics?: { readonly apiPort: number; readonly workerPort: number } | 'off';
  /** print the apps' output prefixed with their name (npm start) or keep it (the last lines are shown on a crash) */
  readonly echo?: boolean;
  /** a child exited while the federation was running */
  readonly onUnexpectedExit: (name: string, code: number | string | null) => void;
}

/** The app processes, by the name they are launched under. */
export type AppName = 'sites' | 'worker' | 'api';

export const DEFAULT_METRICS_PORTS = { apiPort: 9464, workerPort: 9465 } as const;

export class LocalFederation {
  private services: RunningService[] = [];
  private readonly group: ProcessGroup;
  private readonly apps = new Map<AppName, ChildProcess>();
  private stopping = false;
  private signingKeyFile: string | undefined;
  /** the environment the apps were launched with, kept so they can be relaunched */
  private appEnv: Record<string, string> = {};
  /** each signing key goes to its one process: the clearing key to the worker, the exchange-file key to the API */
  private workerKeys: Record<string, string> = {};
  private apiKeys: Record<string, string> = {};
  private metrics: FederationOptions['metrics'];

  constructor(private readonly opts: FederationOptions) {
    this.group = new ProcessGroup((name, code) => {
      if (!this.stopping) opts.onUnexpectedExit(name, code);
    });
  }

  /** the API's and the worker's metrics endpoints, unless metrics are off */
  get metricsUrls(): { api: string; worker: string } | undefined {
    const m = this.metrics ?? this.opts.metrics ?? DEFAULT_METRICS_PORTS;
    if (m === 'off') return undefined;
    return {
      api: `http://127.0.0.1:${m.apiPort}/metrics`,
      worker: `http://127.0.0.1:${m.workerPort}/metrics`,
    };
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.opts.apiPort}`;
  }

  /** Temporal and Redis as started or reused (a reused one has `owned: false` and is left running). */
  get infra(): readonly RunningService[] {
    return this.services;
  }

  /** pid of an app process, once launched */
  pid(app: AppName): number | undefined {
    return this.apps.get(app)?.pid;
  }

  async start(): Promise<void> {
    const { profile } = this.opts;
    // allSettled: a server that did start is kept (and stopped) even when the other one failed
    const started = await Promise.allSettled([ensureTemporal(profile), ensureRedis(profile)]);
    for (const s of started) if (s.status === 'fulfilled') this.services.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const [temporal, redis] = this.services as [RunningService, RunningService];
    const keysDir = join(dataDir(profile), 'keys');
    const keys = await ensureDevKeys(keysDir);
    this.signingKeyFile = keys.signingKeyFile;
    const clearing = await ensureClearingKey(clearingKeyFiles(keysDir));
    const exchange = await ensureExchangeKey(exchangeKeyFiles(keysDir));
    const payloadKeysFile = join(keysDir, 'payload-keys.json');
    await ensurePayloadKeys(payloadKeysFile, [...ISO_COUNTRIES]);
    const env = {
      TEMPORAL_ADDRESS: temporal.address,
      REDIS_URL: redis.address,
      FEDERA_TOPOLOGY: this.opts.topologyFile,
      FEDERA_JWKS_FILE: keys.jwksFile,
      FEDERA_CLEARING_JWKS_FILE: clearing.jwksFile,
      FEDERA_PAYLOAD_KEYS_FILE: payloadKeysFile,
      FEDERA_API_PORT: String(this.opts.apiPort),
      // secrets reach the children through their environment only; nothing here prints them
      FEDERA_EMULATOR_CONTROL_TOKEN: ensureSecret(profile.name, 'emulator-control-token'),
      // the API streams prompts to the site agents' data-plane endpoint with this shared secret
      FEDERA_AGENT_TOKEN: ensureSecret(profile.name, 'agent-token'),
      ...this.opts.env,
    };
    if (this.stopping) return;
    this.appEnv = env;
    this.workerKeys = { FEDERA_CLEARING_KEY_FILE: clearing.keyFile };
    this.apiKeys = {
      FEDERA_EXCHANGE_KEY_FILE: exchange.keyFile,
      FEDERA_EXCHANGE_JWKS_FILE: exchange.jwksFile,
    };
    this.apps.set(
      'sites',
      this.group.launch('sites', 'apps/site-emulator/src/main.ts', env, { echo: this.opts.echo ?? true }),
    );
    await this.launchApps();
  }

  /**
   * Stops the worker and the API and starts them again, with other metrics settings (bench:e2e
   * compares CPU per request with metrics on and off); Temporal, Redis and the sites keep running.
   */
  async relaunchApps(metrics: FederationOptions['metrics']): Promise<void> {
    await this.group.stopChild('api');
    await this.group.stopChild('worker');
    this.metrics = metrics;
    await this.launchApps();
  }

  private async launchApps(): Promise<void> {
    const { profile } = this.opts;
    const echo = this.opts.echo ?? true;
    const m = this.metrics ?? this.opts.metrics ?? DEFAULT_METRICS_PORTS;
    const metricsPort = (app: 'api' | 'worker') =>
      m === 'off' ? 'off' : String(app === 'api' ? m.apiPort : m.workerPort);
    const readyFile = join(dataDir(profile), 'worker.ready');
    rmSync(readyFile, { force: true });
    this.apps.set(
      'worker',
      this.group.launch(
        'worker',
        'apps/worker/src/main.ts',
        {
          ...this.appEnv,
          ...this.workerKeys,
          FEDERA_READY_FILE: readyFile,
          FEDERA_METRICS_PORT: metricsPort('worker'),
        },
        { echo, nodeArgs: WORKER_NODE_ARGS },
      ),
    );
    this.apps.set(
      'api',
      this.group.launch(
        'api',
        'apps/api/src/main.ts',
        { ...this.appEnv, ...this.apiKeys, FEDERA_METRICS_PORT: metricsPort('api') },
        { echo },
      ),
    );
    await waitForHttp(`${this.apiUrl}/health`, 90_000, () => this.stopping);
    // the worker is ready once its site agents serve and are advertised: before that the API finds
    // no agent for any site (NO_ELIGIBLE_SITE), so a first request must not beat it
    await waitForFile(readyFile, 120_000, () => this.stopping);
  }

  /** A tenant JWT signed with the profile's dev key (what `npm start` prints). */
  async tenantToken(tenantId: string): Promise<string> {
    return this.token('tenant', tenantId);
  }

  /** A dev JWT (12 h) for any role, signed with the local key the API trusts. */
  async token(role: Role, subject: string): Promise<string> {
    if (!this.signingKeyFile) throw new Error('the federation has not started');
    return mintToken({ privateJwk: readSigningKey(this.signingKeyFile), role, subject });
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Stops the apps, then the servers this federation started (reused ones keep running). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.group.stop();
    await Promise.all(this.services.map((s) => s.stop()));
  }
}
