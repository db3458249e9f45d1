/**
 * The stack bench:e2e measures: `npm start`'s federation (scripts/federation.ts) with `npm start`'s
 * Temporal configuration (the CLI dev server on a SQLite file with WAL pragmas) on the bench
 * profile's own ports and data dir (.data/bench/), so a running `npm start` or test profile is not
 * touched. The emulators keep the dev topology's ttft and tokens/s, on ports shifted to 93xx, and
 * never inject faults. Call `federation.start()` (and `stop()` whatever happens).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROFILES, dataDir, type Profile } from '../../../scripts/infra';
import { LocalFederation } from '../../../scripts/federation';
import { ensureSecret } from '../../../scripts/secrets';
import { isListening, portOwner } from './proc';
import type { Role } from './cpu';

export const API_PORT = 8797;
/** the bench's own metrics ports, away from `npm start`'s 9464/9465 */
export const BENCH_METRICS = { apiPort: 9474, workerPort: 9475 } as const;
const PORT_SHIFT = 200; // emulators on 93xx, away from `npm start`'s 91xx

/** the bench profile's ports with the dev profile's persistent Temporal (SQLite + WAL), headless */
export const BENCH_PROFILE: Profile = { ...PROFILES.bench, temporalPersistent: true };

interface TopologyFile {
  sites: { id: string; endpoint: string; emulator?: { port: number; errorRate: number } }[];
}

export interface BenchStack {
  readonly federation: LocalFederation;
  /** each emulated site's OpenAI base URL (…/v1) */
  readonly siteUrls: ReadonlyMap<string, string>;
  readonly temporal: { readonly address: string; readonly sqlite: string; readonly startedByBench: boolean };
  /** the pid of every process the CPU figures are read from */
  pids(): Partial<Record<Role, number>>;
  /** which process each CPU role is read from, for the report */
  readonly processes: Record<Role, string>;
  /** the bearer token of the emulators' control endpoints */
  readonly emulatorControlToken: string;
}

function writeBenchTopology(dir: string): { file: string; siteUrls: Map<string, string> } {
  const topology = JSON.parse(readFileSync('deploy/dev/topology.json', 'utf8')) as TopologyFile;
  const siteUrls = new Map<string, string>();
  for (const site of topology.sites) {
    if (!site.emulator) continue;
    site.emulator.port += PORT_SHIFT;
    site.emulator.errorRate = 0;
    site.endpoint = `http://127.0.0.1:${site.emulator.port}`;
    siteUrls.set(site.id, `${site.endpoint}/v1`);
  }
  const file = join(dir, 'topology.json');
  writeFileSync(file, JSON.stringify(topology, null, 2));
  return { file, siteUrls };
}

export function createBenchStack(opts: {
  logLevel: string;
  onUnexpectedExit: (name: string, code: number | string | null) => void;
}): BenchStack {
  const dir = dataDir(BENCH_PROFILE);
  mkdirSync(dir, { recursive: true });
  const sqlite = join(dir, 'temporal.sqlite');
  const startedByBench = !isListening(BENCH_PROFILE.temporalPort);
  // a fresh history store every run, so runs compare (a server already running is reused as is)
  if (startedByBench) for (const f of ['', '-wal', '-shm']) rmSync(sqlite + f, { force: true });
  const { file, siteUrls } = writeBenchTopology(dir);
  const run = Date.now().toString(36);
  const federation = new LocalFederation({
    profile: BENCH_PROFILE,
    apiPort: API_PORT,
    topologyFile: file,
    echo: false,
    metrics: BENCH_METRICS,
    // a registry and control queue of this run's own: the registry is seeded from the bench topology
    env: {
      FEDERA_CONTROL_TASK_QUEUE: `bench-control-${run}`,
      FEDERA_REGISTRY_NAMESPACE: `bench-${run}`,
      LOG_LEVEL: opts.logLevel,
    },
    onUnexpectedExit: opts.onUnexpectedExit,
  });
  const stack: BenchStack = {
    federation,
    emulatorControlToken: ensureSecret(BENCH_PROFILE.name, 'emulator-control-token'),
    siteUrls,
    temporal: { address: `127.0.0.1:${BENCH_PROFILE.temporalPort}`, sqlite, startedByBench },
    pids: () => ({
      api: federation.pid('api'),
      worker: federation.pid('worker'),
      // the site agents run in the worker process today: the sampler reports them once, as `worker`
      agent: federation.pid('worker'),
      temporal: portOwner(BENCH_PROFILE.temporalPort),
      redis: portOwner(BENCH_PROFILE.redisPort),
      sites: federation.pid('sites'),
      client: process.pid,
    }),
    processes: {
      api: 'apps/api',
      worker: 'apps/worker',
      agent: 'apps/worker (site agents)',
      temporal: `owner of :${BENCH_PROFILE.temporalPort} (temporal server start-dev)`,
      redis: `owner of :${BENCH_PROFILE.redisPort} (redis-server)`,
      sites: 'apps/site-emulator',
      client: 'this bench (load generator)',
    },
  };
  return stack;
}
