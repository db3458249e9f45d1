/**
 * Brings up one federation inside a test: site emulators on loopback HTTP, the real Temporal
 * workers (control + site agents) against the shared dev server, the real API server, and signing
 * keys for tokens. Nothing here is a mock; the only test-specific part is the topology.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { pino } from 'pino';
import { inject } from 'vitest';
import {
  Admission,
  AuditLog,
  DEFAULT_REQUEST_LIMITS,
  startApiServer,
  startDataPlane,
  type AdmissionLimits,
  type ApiServer,
  type RequestLimits,
  type DataPlane,
  type ServerLimits,
} from '@federa/api';
import { createVerifier, generateSigningKey, mintToken, type Role, type SigningKey } from '@federa/auth';
import { TopologyIndex, parseTopology, type TopologyInput } from '@federa/domain';
import { Ledger } from '@federa/ledger';
import { connectRedis, type RedisClient } from '@federa/redis';
import { Registry } from '@federa/registry';
import { Observations, SiteHealth, settlementScheduleId } from '@federa/workflows';
import {
  SettlementStore,
  generateClearingKey,
  generateExchangeFileKey,
  type ClearingKey,
  type ExchangeFileKey,
  type ArchiveConfig,
  type SettlementConfig,
  settlePeriod,
} from '@federa/settlement';
import { generatePayloadKeys, type PayloadKeys } from '@federa/sealing';
import { TokenCountPool } from '@federa/tokenizer/pool';
import { startSiteEmulator, type EmulatorBehaviour, type SiteEmulator } from '@federa/site-emulator';
import {
  SiteAgents,
  createFederaWorkers,
  ensureSettlementSchedule,
  parseAgentAssignment,
  seedAccounts,
  startHealthProbes,
} from '@federa/worker';

export const ISSUER = 'federa-test';
export const AUDIENCE = 'federa-api-test';

let runtimeInstalled = false;
function installQuietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
}

export function uniqueSuffix(): string {
  return `t${randomBytes(4).toString('hex')}`;
}

export interface Federation {
  readonly topology: TopologyIndex;
  readonly emulators: ReadonlyMap<string, SiteEmulator>;
  readonly redisUrl: string;
  readonly redis: RedisClient;
  readonly ledger: Ledger;
  readonly registry: Registry;
  readonly settlementStore: SettlementStore;
  /** signs statements and credit notes: the worker's key, which the API never gets */
  readonly clearingKey: ClearingKey;
  /** signs exchange files: the API's key */
  readonly exchangeKey: ExchangeFileKey;
  readonly payloadKeys: PayloadKeys;
  /** settle one period directly, with the engine the settlement activity runs */
  settle(periodId: string): ReturnType<typeof settlePeriod>;
  readonly settlementConfig: SettlementConfig;
  readonly temporal: Client;
  readonly api: ApiServer;
  /** the API's admission queue (in flight, queued) */
  readonly admission: Admission;
  readonly controlTaskQueue: string;
  /** the data plane behind the API's /v1 surface */
  readonly dataPlane: DataPlane;
  /** the secret the site agents' data-plane endpoints require (for agents a test runs itself) */
  readonly agentToken: string;
  readonly signingKey: SigningKey;
  token(role: Role, subject: string, opts?: { expiresIn?: string | number }): Promise<string>;
  call(
    path: string,
    input: unknown,
    token?: string | null,
    init?: { method?: 'GET' | 'POST' },
  ): Promise<ApiResponse>;
  emulator(siteId: string): SiteEmulator;
  totalCompletions(): number;
  close(): Promise<void>;
}

/** What `fed.dataPlane` is when the test runs no data plane in its own process. */
const NO_DATA_PLANE: DataPlane = {
  serveChat: () => Promise.reject(new Error('no data plane in this process')),
  serveEmbeddings: () => Promise.reject(new Error('no data plane in this process')),
};

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  // tRPC's envelope: { result: { data } } or { error: { message, code, data: { code, httpStatus, federaCode } } }
  readonly body: any;
}

export async function startFederation(
  input: TopologyInput,
  opts: {
    behaviour?: Partial<EmulatorBehaviour>;
    siteRequestTimeoutMs?: number;
    /** the slowest generation the site agents accept (tokens/s) */
    siteMinTokensPerSecond?: number;
    /** cap on a site's response body */
    siteMaxResponseBytes?: number;
    maxInFlight?: number;
    maxQueued?: number;
    /** the admission queue's other limits (per-tenant cap, wait deadline, bytes) */
    admission?: Partial<AdmissionLimits>;
    /** the API's HTTP limits (header/request timeouts, connection cap) and per-request limits */
    serverLimits?: Partial<ServerLimits>;
    requestLimits?: Partial<RequestLimits>;
    /** another Redis than the shared one (e.g. one the test restarts) */
    redisUrl?: string;
    /** 'none' when the test runs the worker as its own process (to kill it) */
    workers?: 'in-process' | 'none';
    /** which site agents run in process, as FEDERA_SITE_AGENTS says it (default: all) */
    siteAgents?: string;
    /** run the site agents' health probes at this interval (off by default) */
    probeIntervalMs?: number;
    /**
     * 'off': the API runs without a data plane (its /v1 chat and embeddings answer 503); 'none': no
     * data plane in this process at all, so only processes the test runs poll the served queue
     */
    dataPlane?: 'on' | 'off' | 'none';
    /** the served-request workflow's dispatch budget and report grace (tests of dead agents shorten them) */
    servedTiming?: {
      dispatchTimeout?: { baseMs?: number; minTokensPerSecond?: number };
      reportGraceMs?: number;
    };
    /** the data plane's output ceiling for no max_tokens, and its grant slice (slice-grants tests) */
    grants?: { defaultMaxTokens?: number; sliceTokens?: number };
    /** settlement period and grace window (defaults: 1 h, 5 min) */
    settlement?: { periodMs: number; graceMs: number; currency?: string; archive?: ArchiveConfig };
    /** run the settlement schedule at this interval (off by default) */
    scheduleEveryMs?: number;
    /** serve the web console's build from this directory at /console (browser tests) */
    consoleDir?: string;
  } = {},
): Promise<Federation> {
  installQuietRuntime();
  const emulators = new Map<string, SiteEmulator>();
  for (const site of input.sites) {
    emulators.set(
      site.id,
      await startSiteEmulator({
        siteId: site.id,
        jurisdiction: site.jurisdiction,
        models: site.models.map((m) => m.id),
        behaviour: { ttftMs: 2, tokensPerSecond: 50_000, ...opts.behaviour },
      }),
    );
  }
  const topology = new TopologyIndex(
    parseTopology({
      ...input,
      sites: input.sites.map((s) => ({ ...s, endpoint: emulators.get(s.id)!.url })),
    }),
  );

  const redisUrl = opts.redisUrl ?? inject('redisUrl');
  const redis = connectRedis(redisUrl, { name: 'federa-test' });
  redis.on('error', () => undefined); // reconnects are the point of some tests; failures surface as rejections
  const ledger = new Ledger(redis);
  // each test federation has its own registry, seeded from its topology
  const registry = new Registry(redis, topology.topology.name);
  await registry.seed(topology.topology);
  await seedAccounts(redis, topology);

  const controlTaskQueue = `control-${topology.topology.name}`;
  const clearingKey = await generateClearingKey(`clearing-${topology.topology.name}`);
  const exchangeKey = await generateExchangeFileKey(`exchange-${topology.topology.name}`);
  const payloadKeys = await generatePayloadKeys([
    ...new Set(topology.topology.sites.map((x) => x.jurisdiction)),
  ]);
  const settlementStore = new SettlementStore(redis, topology.topology.name);
  const settlementConfig: SettlementConfig = {
    federation: topology.topology.name,
    periodMs: opts.settlement?.periodMs ?? 3_600_000,
    graceMs: opts.settlement?.graceMs ?? 300_000,
    settlementCurrency: opts.settlement?.currency ?? 'EUR',
    ...(opts.settlement?.archive ? { archive: opts.settlement.archive } : {}),
  };
  const nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  // the shared secret between the API and the site agents' data-plane endpoints
  const agentToken = randomBytes(24).toString('base64url');
  const workers: Worker[] =
    opts.workers === 'none'
      ? []
      : await createFederaWorkers({
          connection: nativeConnection,
          namespace: 'default',
          redis,
          topology: () => registry.snapshot(),
          controlTaskQueue,
          workflowBundle: { codePath: inject('workflowBundlePath') },
          // the API's data plane below polls the served-request queue in this process
          servedWorker: false,
          settlement: {
            store: settlementStore,
            clearingKey: clearingKey.privateJwk,
            config: settlementConfig,
          },
        });
  const running = workers.map((w) => w.run());
  const agents =
    opts.workers === 'none'
      ? null
      : await SiteAgents.start({
          connection: nativeConnection,
          namespace: 'default',
          redis,
          topology: () => registry.snapshot(),
          assignment: parseAgentAssignment(opts.siteAgents ?? 'all'),
          payloadKeys,
          siteRequestTimeoutMs: opts.siteRequestTimeoutMs,
          siteMinTokensPerSecond: opts.siteMinTokensPerSecond,
          siteMaxResponseBytes: opts.siteMaxResponseBytes,
          syncIntervalMs: 200,
          dataPlane: { token: agentToken },
        });
  const stopProbes =
    opts.probeIntervalMs && opts.workers !== 'none'
      ? startHealthProbes(
          redis,
          async () => (await registry.snapshot()).topology.sites,
          opts.probeIntervalMs,
          () => undefined,
        )
      : () => undefined;

  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const temporal = new Client({ connection, namespace: 'default' });
  if (opts.scheduleEveryMs && opts.workers !== 'none') {
    await ensureSettlementSchedule(temporal, {
      namespace: topology.topology.name,
      taskQueue: controlTaskQueue,
      everyMs: opts.scheduleEveryMs,
    });
  }
  const signingKey = await generateSigningKey(`test-${topology.topology.name}`);
  const apiPayloadKeys = {
    jurisdictions: Object.fromEntries(
      Object.entries(payloadKeys.jurisdictions).map(([c, k]) => [c, k.publicJwk]),
    ),
    apiPrivate: payloadKeys.api.privateJwk,
  };
  const tokenCounter = new TokenCountPool({
    size: 2,
    deadlineMs: opts.requestLimits?.countDeadlineMs ?? DEFAULT_REQUEST_LIMITS.countDeadlineMs,
    maxQueued: 10_000,
  });
  const dataPlane =
    opts.dataPlane === 'none'
      ? null
      : await startDataPlane({
          connection: nativeConnection,
          namespace: 'default',
          controlTaskQueue,
          redis,
          control: {
            topology: () => registry.snapshot(),
            ledger,
            observations: new Observations(redis),
            health: new SiteHealth(redis),
          },
          served: { tokenCounter, payloadKeys: apiPayloadKeys, topology: () => registry.snapshot() },
          agentToken,
          ...(opts.servedTiming ? { timing: opts.servedTiming } : {}),
          ...(opts.grants?.defaultMaxTokens ? { defaultMaxTokens: opts.grants.defaultMaxTokens } : {}),
          ...(opts.grants?.sliceTokens ? { grantSliceTokens: opts.grants.sliceTokens } : {}),
          workflowBundle: { codePath: inject('workflowBundlePath') },
          log: pino({ level: 'silent' }),
        });
  const admission = new Admission(opts.maxInFlight ?? 200, opts.maxQueued ?? 10_000, opts.admission);
  const api = await startApiServer({
    ...(dataPlane && opts.dataPlane !== 'off' ? { dataPlane: dataPlane.dataPlane } : {}),
    tokenCounter,
    temporal,
    ledger,
    topology: () => registry.snapshot(),
    registry,
    observations: new Observations(redis),
    health: new SiteHealth(redis),
    controlTaskQueue,
    verify: createVerifier({ jwks: { keys: [signingKey.publicJwk] }, issuer: ISSUER, audience: AUDIENCE }),
    log: pino({ level: 'silent' }),
    admission,
    ...(opts.requestLimits ? { requestLimits: opts.requestLimits } : {}),
    ...(opts.serverLimits ? { serverLimits: opts.serverLimits } : {}),
    ...(opts.consoleDir ? { consoleDir: opts.consoleDir } : {}),
    audit: new AuditLog(redis),
    payloadKeys: apiPayloadKeys,
    settlement: {
      store: settlementStore,
      jwks: { keys: [clearingKey.publicJwk] },
      exchangeKey: exchangeKey.privateJwk,
      exchangeJwks: { keys: [exchangeKey.publicJwk] },
      config: settlementConfig,
      namespace: topology.topology.name,
    },
  });

  return {
    topology,
    emulators,
    redisUrl,
    redis,
    ledger,
    registry,
    settlementStore,
    clearingKey,
    exchangeKey,
    payloadKeys,
    settlementConfig,
    settle: (periodId) =>
      settlePeriod(
        {
          ledger,
          store: settlementStore,
          topology: () => registry.snapshot(),
          clearingKey: clearingKey.privateJwk,
          config: settlementConfig,
        },
        periodId,
      ),
    temporal,
    api,
    admission,
    controlTaskQueue,
    dataPlane: dataPlane?.dataPlane ?? NO_DATA_PLANE,
    agentToken,
    signingKey,
    token: (role, subject, o) =>
      mintToken({
        privateJwk: signingKey.privateJwk,
        role,
        subject,
        issuer: ISSUER,
        audience: AUDIENCE,
        ...o,
      }),
    async call(path, body, token, init) {
      const method = init?.method ?? 'POST';
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      const url =
        method === 'GET'
          ? `${api.url}/trpc/${path}${body === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(body))}`}`
          : `${api.url}/trpc/${path}`;
      const res = await fetch(url, {
        method,
        headers,
        ...(method === 'POST' ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      return { status: res.status, headers: res.headers, body: await res.json() };
    },
    emulator(siteId) {
      const e = emulators.get(siteId);
      if (!e) throw new Error(`no emulator for ${siteId}`);
      return e;
    },
    totalCompletions: () => [...emulators.values()].reduce((n, e) => n + e.stats().completions, 0),
    async close() {
      stopProbes();
      if (opts.scheduleEveryMs) {
        await temporal.schedule
          .getHandle(settlementScheduleId(topology.topology.name))
          .delete()
          .catch(() => undefined);
      }
      await api.close();
      await dataPlane?.close();
      await tokenCounter.close();
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await Promise.allSettled([...running, agents?.close()]);
      await nativeConnection.close();
      await connection.close();
      redis.disconnect();
      await Promise.all([...emulators.values()].map((e) => e.close()));
    },
  };
}

export function chat(requestId: string, extra: Record<string, unknown> = {}) {
  return {
    requestId,
    model: 'llama-3.1-8b',
    messages: [{ role: 'user', content: 'Summarise the federation in one sentence.' }],
    max_tokens: 64,
    ...extra,
  };
}
