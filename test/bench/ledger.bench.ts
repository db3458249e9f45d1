/**
 * bench:ledger — the ledger's reserve+post pairs against a local Redis, at concurrency 1 and 64,
 * next to the naive check-then-charge baseline LLM gateways use (GET the spend, compare, INCRBY
 * after the call), in one run. Also the overspend each allows when many requests race one budget.
 * Besides pairs/s (which moves with whatever else the machine runs), the CPU each pair cost this
 * process (process.cpuUsage) and the Redis server's main thread (INFO cpu): the steadier figures.
 * The ledger is called as the workflow's activities call it (a reserve names its run: `attempt`).
 * Prints one JSON line.
 */
import { Redis } from 'ioredis';
import type { UsageRecord } from '@federa/domain';
import { Ledger } from '@federa/ledger';
import { PROFILES, ensureRedis } from '../../scripts/infra';
import { runLoad, summarize, withCpu } from './stats';

const PAIRS = Number(process.env.BENCH_PAIRS ?? 20_000);
const run = Date.now().toString(36);
const HOLD = 500;
const ACTUAL = 300;

function record(tenantId: string, requestId: string): UsageRecord {
  const at = new Date().toISOString();
  return {
    requestId,
    tenantId,
    homeOperator: 'rhein',
    servingOperator: 'lumiere',
    siteId: 'lumiere-par',
    jurisdiction: 'FR',
    model: 'llama-3.1-8b',
    inputTokens: 812,
    outputTokens: 240,
    currency: 'EUR',
    retailCharge: ACTUAL,
    wholesaleCharge: 180,
    policyVersion: 1,
    startedAt: at,
    completedAt: at,
    failedAttempts: 0,
    flags: [],
  };
}

const service = await ensureRedis(PROFILES.bench);
const redis = new Redis(service.address, { enableAutoPipelining: true });
const ledger = new Ledger(redis);

/** the Lua ledger: reserve (atomic check + hold), then post (capture + record) */
async function luaPair(
  tenantId: string,
  i: number,
  lat?: { reserve: number[]; post: number[] },
  work?: () => Promise<void>,
) {
  const requestId = `${run}-${i}`;
  let t = performance.now();
  const ok = await ledger
    .reserve({
      tenantId,
      requestId,
      amount: HOLD,
      expiresAt: Date.now() + 60_000,
      tokens: 1000,
      attempt: run,
    })
    .then(
      () => true,
      (err: { code?: string }) => {
        if (err.code !== 'BUDGET_EXCEEDED') throw err;
        return false;
      },
    );
  lat?.reserve.push(performance.now() - t);
  if (!ok) return false;
  await work?.();
  t = performance.now();
  await ledger.post({
    tenantId,
    requestId,
    actual: ACTUAL,
    actualTokens: 1052,
    record: record(tenantId, requestId),
  });
  lat?.post.push(performance.now() - t);
  return true;
}

/** the baseline: check the spend, (serve,) then charge — nothing holds the budget in between */
async function naivePair(
  tenantId: string,
  i: number,
  lat?: { reserve: number[]; post: number[] },
  work?: () => Promise<void>,
) {
  let t = performance.now();
  const [budget, spent] = await redis.hmget(`naive:${tenantId}`, 'budget', 'spent');
  const ok = Number(budget) - Number(spent ?? 0) >= HOLD;
  lat?.reserve.push(performance.now() - t);
  if (!ok) return false;
  await work?.();
  t = performance.now();
  await redis.hincrby(`naive:${tenantId}`, 'spent', ACTUAL);
  await redis.xadd(
    `naive:${tenantId}:usage`,
    '*',
    'req',
    `${run}-${i}`,
    'record',
    JSON.stringify(record(tenantId, `${i}`)),
  );
  lat?.post.push(performance.now() - t);
  return true;
}

/** CPU seconds the Redis server's main thread has used (where scripts and commands run) */
async function redisCpuSeconds(): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
  return field('used_cpu_user_main_thread') + field('used_cpu_sys_main_thread');
}

async function throughput(kind: 'lua' | 'naive', concurrency: number) {
  const tenantId = `bench-${kind}-${concurrency}-${run}`;
  await ledger.ensureAccount(tenantId, { budget: Number.MAX_SAFE_INTEGER, mode: 'prepaid' });
  await redis.hset(`naive:${tenantId}`, 'budget', String(Number.MAX_SAFE_INTEGER), 'spent', '0');
  const lat = { reserve: [] as number[], post: [] as number[] };
  const pair = kind === 'lua' ? luaPair : naivePair;
  const redisBefore = await redisCpuSeconds();
  const {
    value: { wallMs },
    cpuUs,
  } = await withCpu(() => runLoad(PAIRS, concurrency, async (i) => void (await pair(tenantId, i, lat))));
  const redisUs = ((await redisCpuSeconds()) - redisBefore) * 1e6;
  return {
    pairs_per_s: Math.round((PAIRS / wallMs) * 1000),
    cpu_us_per_pair: { node: Math.round(cpuUs / PAIRS), redis: Math.round(redisUs / PAIRS) },
    reserve_ms: summarize(lat.reserve),
    post_ms: summarize(lat.post),
  };
}

/** many requests race one budget that covers 100 of them; each spends a moment "at the site" */
async function overspend(kind: 'lua' | 'naive') {
  const tenantId = `race-${kind}-${run}`;
  const budget = 100 * ACTUAL;
  await ledger.ensureAccount(tenantId, { budget, mode: 'prepaid' });
  await redis.hset(`naive:${tenantId}`, 'budget', String(budget), 'spent', '0');
  const atTheSite = () => new Promise<void>((r) => setTimeout(r, 1));
  const pair = kind === 'lua' ? luaPair : naivePair;
  let served = 0;
  await runLoad(2000, 256, async (i) => {
    if (await pair(tenantId, i, undefined, atTheSite)) served++;
  });
  const spent =
    kind === 'lua'
      ? (await ledger.account(tenantId)).posted
      : Number(await redis.hget(`naive:${tenantId}`, 'spent'));
  return { budget, spent, served, overspend: Math.max(0, spent - budget) };
}

/** CPU per pair, ledger over baseline (node + Redis): under 1, the ledger costs less */
function cpuRatio(lua: { node: number; redis: number }, naive: { node: number; redis: number }): number {
  return Math.round(((lua.node + lua.redis) / (naive.node + naive.redis)) * 100) / 100;
}

try {
  // warm up scripts, connections and the JIT
  await throughput('lua', 64);
  await throughput('naive', 64);
  const c1 = { lua: await throughput('lua', 1), naive: await throughput('naive', 1) };
  const c64 = { lua: await throughput('lua', 64), naive: await throughput('naive', 64) };
  const race = { lua: await overspend('lua'), naive: await overspend('naive') };
  console.log(
    JSON.stringify({
      bench: 'ledger',
      pairs: PAIRS,
      concurrency_1: c1,
      concurrency_64: c64,
      lua_vs_naive_throughput_c64: Math.round((c64.lua.pairs_per_s / c64.naive.pairs_per_s) * 100) / 100,
      lua_vs_naive_cpu_c64: cpuRatio(c64.lua.cpu_us_per_pair, c64.naive.cpu_us_per_pair),
      race_2000_requests_budget_for_100: race,
    }),
  );
} finally {
  redis.disconnect();
  await service.stop();
}
