/**
 * bench:e2e — the control plane's added latency. Sends the same chat requests through the API
 * (tRPC → Temporal workflow → route/reserve → site agent → emulator → reconcile) and straight to the
 * site emulator that served them, in one run, and prints one JSON line with both and the overhead.
 *
 * Everything runs on this machine: Temporal (in memory) and Redis of the bench profile, and the
 * emulators, worker and API as separate processes as in `npm start`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDevKeys, mintToken, readSigningKey } from '@federa/auth';
import { clearingKeyFiles, ensureClearingKey } from '@federa/settlement';
import { ensurePayloadKeys } from '@federa/sealing';
import { ISO_COUNTRIES } from '@federa/domain';
import { PROFILES, dataDir, ensureRedis, ensureTemporal } from '../../scripts/infra';
import { ProcessGroup, WORKER_NODE_ARGS, waitForHttp } from '../../scripts/processes';
import { runLoad, summarize } from './stats';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const WARMUP = 30;
const API_PORT = 8797;
const PORT_SHIFT = 200; // emulators on 93xx, away from a running `npm start`
const TENANT = 'globex';

const profile = PROFILES.bench;
const dir = dataDir(profile);
const group = new ProcessGroup((name, code) => {
  console.error(`bench: ${name} exited unexpectedly (${code})`);
  process.exit(1);
});

const topology = JSON.parse(readFileSync('deploy/dev/topology.json', 'utf8')) as {
  sites: { id: string; endpoint: string; emulator?: { port: number; errorRate: number } }[];
};
for (const site of topology.sites) {
  if (!site.emulator) continue;
  site.emulator.port += PORT_SHIFT;
  site.emulator.errorRate = 0;
  site.endpoint = `http://127.0.0.1:${site.emulator.port}`;
}
const topologyFile = join(dir, 'topology.json');
mkdirSync(dir, { recursive: true });
writeFileSync(topologyFile, JSON.stringify(topology, null, 2));

const [temporal, redis] = await Promise.all([ensureTemporal(profile), ensureRedis(profile)]);
const keys = await ensureDevKeys(join(dir, 'keys'));
const clearing = await ensureClearingKey(clearingKeyFiles(join(dir, 'keys')));
const payloadKeysFile = join(dir, 'keys', 'payload-keys.json');
await ensurePayloadKeys(payloadKeysFile, [...ISO_COUNTRIES]);
const env = {
  TEMPORAL_ADDRESS: temporal.address,
  REDIS_URL: redis.address,
  FEDERA_TOPOLOGY: topologyFile,
  FEDERA_JWKS_FILE: keys.jwksFile,
  FEDERA_CLEARING_KEY_FILE: clearing.keyFile,
  FEDERA_CLEARING_JWKS_FILE: clearing.jwksFile,
  FEDERA_PAYLOAD_KEYS_FILE: payloadKeysFile,
  FEDERA_API_PORT: String(API_PORT),
  FEDERA_CONTROL_TASK_QUEUE: `bench-control-${Date.now()}`,
  FEDERA_REGISTRY_NAMESPACE: `bench-${Date.now()}`,
  LOG_LEVEL: 'warn',
};
const token = await mintToken({
  privateJwk: readSigningKey(keys.signingKeyFile),
  role: 'tenant',
  subject: TENANT,
});
const api = `http://127.0.0.1:${API_PORT}`;
const runId = Date.now().toString(36);
const body = (i: number, phase: string) => ({
  requestId: `bench-${runId}-${phase}-${i}`,
  model: 'llama-3.1-8b',
  messages: [{ role: 'user', content: `Benchmark request ${i}: summarise sovereign inference in one line.` }],
  max_tokens: 32,
});

async function viaApi(i: number, phase: string): Promise<string> {
  const res = await fetch(`${api}/trpc/inference.complete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body(i, phase)),
  });
  const json = (await res.json()) as { result?: { data: { route: { siteId: string } } }; error?: unknown };
  if (!json.result) throw new Error(`API request failed: ${JSON.stringify(json.error)}`);
  return json.result.data.route.siteId;
}

async function direct(endpoint: string, i: number, phase: string): Promise<void> {
  const { requestId, ...payload } = body(i, phase);
  const res = await fetch(`${endpoint}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': requestId },
    body: JSON.stringify({ ...payload, stream: false }),
  });
  if (!res.ok) throw new Error(`direct request failed: HTTP ${res.status}`);
  await res.json();
}

try {
  group.launch('sites', 'apps/site-emulator/src/main.ts', env, { echo: false });
  group.launch('worker', 'apps/worker/src/main.ts', env, { echo: false, nodeArgs: WORKER_NODE_ARGS });
  group.launch('api', 'apps/api/src/main.ts', env, { echo: false });
  await waitForHttp(`${api}/health`, 90_000);

  // warm up both paths (worker bundle, connections, JIT); learn which site serves this tenant
  let servedBy = '';
  for (let i = 0; i < WARMUP; i++) servedBy = await viaApi(i, 'warm');
  const endpoint = topology.sites.find((s) => s.id === servedBy)!.endpoint;
  for (let i = 0; i < WARMUP; i++) await direct(endpoint, i, 'warm');

  // latency: one request at a time, alternating paths so drift on a shared machine hits both alike
  const apiLat: number[] = [];
  const directLat: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    let t = performance.now();
    await viaApi(i, 'lat');
    apiLat.push(performance.now() - t);
    t = performance.now();
    await direct(endpoint, i, 'lat');
    directLat.push(performance.now() - t);
  }
  // throughput at a fixed concurrency
  const apiLoad = await runLoad(REQUESTS, CONCURRENCY, async (i) => void (await viaApi(i, 'load')));
  const directLoad = await runLoad(REQUESTS, CONCURRENCY, (i) => direct(endpoint, i, 'load'));

  const a = summarize(apiLat);
  const d = summarize(directLat);
  const round = (x: number) => Math.round(x * 100) / 100;
  console.log(
    JSON.stringify({
      bench: 'e2e',
      requests: REQUESTS,
      site: servedBy,
      latency_ms: { api: a, direct: d },
      overhead_ms: { p50: round(a.p50 - d.p50), p99: round(a.p99 - d.p99) },
      overhead_ratio_p50: round(a.p50 / d.p50),
      concurrency: CONCURRENCY,
      rps: {
        api: round((REQUESTS / apiLoad.wallMs) * 1000),
        direct: round((REQUESTS / directLoad.wallMs) * 1000),
      },
      load_latency_ms: { api: summarize(apiLoad.latencies), direct: summarize(directLoad.latencies) },
    }),
  );
} finally {
  await group.stop();
  await Promise.all([temporal.stop(), redis.stop()]);
}
