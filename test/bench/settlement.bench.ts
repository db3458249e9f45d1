/**
 * bench:settlement — BENCH_RECORDS (default 1,000,000; 10,000,000 is the goal) usage records across
 * 5 operators and 20 sites in Redis, one period settled with the same engine the settlement activity
 * runs (stream in read order, rate, aggregate, hash each line's Merkle tree as it streams, convert,
 * net, sign, store). Prints one JSON line: records, seconds, records per second, peak memory of the
 * settling process, and the same run's baseline: just reading the records. Wall time and CPU time
 * (user + system of this process, all its threads) are both reported, with their settle/read ratios:
 * on a shared machine the CPU figures are the steadier ones.
 *
 * The records are written by child processes first (BENCH_GENERATORS, each a share of the tenants,
 * pipelined), so the peak memory measured is the settlement's. The bench runs its own Redis (the
 * bench profile's storage settings on the next free port, sized for the records): 10M records need
 * ~5 GB, more than the shared bench Redis holds, and other benchmarks may be using that one.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { TopologyIndex, parseTopology } from '@federa/domain';
import { Ledger, tenantKeys } from '@federa/ledger';
import { SettlementStore, generateClearingKey, periodOf, settlePeriod } from '@federa/settlement';
import { PROFILES, dataDir, ensureRedis, type Profile } from '../../scripts/infra';
import { HOUR, benchRecord, benchTopology, recordsPerTenant } from './settlement/world';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const GENERATORS = Number(process.env.BENCH_GENERATORS ?? 2);
/** about 450 bytes a stream entry, plus headroom */
const PROFILE: Profile = {
  ...PROFILES.bench,
  name: 'bench-settlement',
  redisPort: PROFILES.bench.redisPort + 2,
  redisMaxMemory: `${Math.max(2, Math.ceil((RECORDS * 700) / 2 ** 30))}gb`,
};
const run = process.env.BENCH_RUN ?? Date.now().toString(36);
const period = periodOf(Date.now() - 3 * HOUR, HOUR);

/** User + system CPU seconds this process spent since `start` (a `process.cpuUsage()`). */
function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1e6;
}

/** Write the records of every `of`-th tenant starting at `share`. */
async function generate(redisUrl: string, share: number, of: number): Promise<void> {
  const redis = new Redis(redisUrl);
  const t = parseTopology(benchTopology(run));
  const perTenant = recordsPerTenant(t, RECORDS);
  for (const [ti, tenant] of t.tenants.entries()) {
    if (ti % of !== share) continue;
    const key = tenantKeys(tenant.id).usage;
    let pipe = redis.pipeline();
    for (let i = 0; i < perTenant && ti * perTenant + i < RECORDS; i++) {
      const { streamId, record } = benchRecord(t, period, ti, i, perTenant);
      pipe.xadd(
        key,
        streamId,
        'req',
        record.requestId,
        'record',
        JSON.stringify(record),
        'posted',
        '0',
        'overage',
        '0',
        'flags',
        '',
      );
      if (i % 10_000 === 9_999) {
        await pipe.exec();
        pipe = redis.pipeline();
      }
    }
    await pipe.exec();
  }
  redis.disconnect();
}

if (process.argv.includes('--generate')) {
  // the URL carries the Redis password: passed in the environment, not argv (which `ps` shows)
  await generate(process.env.BENCH_REDIS_URL!, Number(process.env.BENCH_SHARE), GENERATORS);
  process.exit(0);
}

const service = await ensureRedis(PROFILE);
const redis = new Redis(service.address);
const t = new TopologyIndex(parseTopology(benchTopology(run)));
try {
  const g0 = performance.now();
  await Promise.all(
    Array.from(
      { length: GENERATORS },
      (_, share) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            ['--import', 'tsx', fileURLToPath(import.meta.url), '--generate'],
            {
              stdio: 'inherit',
              env: {
                ...process.env,
                BENCH_RUN: run,
                BENCH_REDIS_URL: service.address,
                BENCH_SHARE: String(share),
              },
            },
          );
          child.once('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`generator exited ${code}`)),
          );
        }),
    ),
  );
  const generateSeconds = (performance.now() - g0) / 1000;

  const ledger = new Ledger(redis);
  const key = await generateClearingKey('bench');
  const store = new SettlementStore(redis, `bench-${run}`);
  const s0 = performance.now();
  const settleCpu0 = process.cpuUsage();
  const result = await settlePeriod(
    {
      ledger,
      store,
      topology: () => Promise.resolve(t),
      clearingKey: key.privateJwk,
      config: { federation: 'bench', periodMs: HOUR, graceMs: 60_000, settlementCurrency: 'EUR' },
    },
    period.id,
  );
  const seconds = (performance.now() - s0) / 1000;
  const cpuSeconds = cpuSecondsSince(settleCpu0);
  const peakMb = Math.round(process.resourceUsage().maxRSS / 1024);
  // the same run's baseline, after the settlement so that its memory does not count: only read and
  // parse the same records, in the same pages
  const b0 = performance.now();
  const readCpu0 = process.cpuUsage();
  let read = 0;
  for (const tenant of t.topology.tenants)
    for await (const _ of ledger.usageBetween(tenant.id, period.startMs, period.endMs + 60_000, 5000)) read++;
  const readSeconds = (performance.now() - b0) / 1000;
  const readCpuSeconds = cpuSecondsSince(readCpu0);

  const lines = result.statements.reduce((n, s) => n + s.payload.lines.length, 0);
  console.log(
    JSON.stringify({
      bench: 'settlement',
      records: result.counts.usage + result.counts.home,
      roaming_records: result.counts.usage,
      statements: result.statements.length,
      lines,
      seconds: Math.round(seconds * 100) / 100,
      records_per_s: Math.round(RECORDS / seconds),
      cpu_seconds: Math.round(cpuSeconds * 100) / 100,
      peak_rss_mb: peakMb,
      baseline_read_only: {
        records: read,
        seconds: Math.round(readSeconds * 100) / 100,
        records_per_s: Math.round(read / readSeconds),
        cpu_seconds: Math.round(readCpuSeconds * 100) / 100,
      },
      settle_vs_read_ratio: Math.round((seconds / readSeconds) * 100) / 100,
      settle_vs_read_cpu_ratio: Math.round((cpuSeconds / readCpuSeconds) * 100) / 100,
      generate_seconds: Math.round(generateSeconds * 10) / 10,
    }),
  );
} finally {
  // leave the bench Redis as it was
  const names = t.topology.tenants.map((x) => tenantKeys(x.id).usage);
  for (let i = 0; i < names.length; i += 10) await redis.del(...names.slice(i, i + 10));
  // SCAN, not KEYS: the services' Redis user may not run KEYS (it blocks the server)
  const refKeys: string[] = [];
  for await (const batch of redis.scanStream({ match: `federa:settlement:{bench-${run}}:*`, count: 1000 }))
    refKeys.push(...(batch as string[]));
  for (let i = 0; i < refKeys.length; i += 100) await redis.del(...refKeys.slice(i, i + 100));
  redis.disconnect();
  await service.stop();
  // the append-only file of 10M records is gigabytes: drop it with the server we started
  if (service.owned) rmSync(dataDir(PROFILE), { recursive: true, force: true });
}
