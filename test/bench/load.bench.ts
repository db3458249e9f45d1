/**
 * bench:load — the scale curve of the production-like stack (docs/stack.md): offered load stepped
 * up from low to past saturation, with 2 API replicas + 2 control workers, then with 1 + 1 (the
 * second of each stopped; HAProxy's health checks take the API out). Per step: achieved requests/s,
 * p50/p99 latency and the latency Federa adds over asking the serving site directly (the same WAN
 * link, measured in the same run), and CPU per request per role from /proc. Prints one JSON line.
 *
 * Settings (environment): LOAD_STEPS offered requests/s (default 2,4,8,12,16,24), LOAD_STEP_S per
 * step (20), LOAD_MAX_TOKENS (32).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ProductionLikeStack, apiName, workerName, type StackPids } from '../../scripts/stack/stack';
import { STACK_SITES, STACK_TENANTS } from '../../scripts/stack/layout';
import { chatPlain } from './e2e/clients';
import { cpuMs } from './e2e/proc';
import { summarize } from './stats';
import { Traffic, type Outcome } from './stack/traffic';
import { errorsByCode } from './stack/report';

const STEPS = (process.env.LOAD_STEPS ?? '2,4,8,12,16,24').split(',').map(Number);
const STEP_MS = Number(process.env.LOAD_STEP_S ?? 20) * 1000;
const MAX_TOKENS = Number(process.env.LOAD_MAX_TOKENS ?? 32);
const MODEL = 'llama-3.1-8b';
/** past this, a step is beyond saturation and the ramp stops */
const SATURATED = { achievedShare: 0.9, errorShare: 0.05 };

const log = (msg: string) => process.stderr.write(`bench:load ${msg}\n`);
const stack = new ProductionLikeStack({
  log,
  onUnexpectedExit: (name, code) => log(`${name} exited unexpectedly (${code})`),
});
let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await stack.stop().catch((err) => log(`stop: ${(err as Error).message}`));
    process.exit(code);
  }
  return new Promise(() => undefined);
}
process.on('SIGINT', () => void shutdown(130));
process.on('SIGTERM', () => void shutdown(143));

type Role = keyof StackPids;
const FEDERA_ROLES: Role[] = ['api', 'worker', 'agent'];
const INFRA_ROLES: Role[] = ['temporal', 'redis', 'postgres', 'haproxy'];

/** CPU ms of each process now (processes that are gone are left out) */
function cpuSnapshot(pids: StackPids): Map<number, number> {
  const out = new Map<number, number>();
  for (const list of Object.values(pids) as number[][])
    for (const pid of list) {
      const ms = cpuMs(pid);
      if (ms !== undefined) out.set(pid, ms);
    }
  return out;
}

/** CPU ms each role used between two snapshots, counting only processes alive at both */
function cpuByRole(
  pids: StackPids,
  before: Map<number, number>,
  after: Map<number, number>,
): Record<Role, number> {
  return Object.fromEntries(
    Object.entries(pids).map(([role, list]) => [
      role,
      (list as number[]).reduce((sum, pid) => {
        const a = before.get(pid);
        const b = after.get(pid);
        return a === undefined || b === undefined ? sum : sum + (b - a);
      }, 0),
    ]),
  ) as Record<Role, number>;
}

/** p50 of asking each site directly from the core, over the same WAN link the agents sit behind */
async function directBaseline(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const site of STACK_SITES) {
    const a = stack.siteAddress(site);
    const base = `http://${a.host}:${a.endpointPort}/v1`;
    const ms: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await chatPlain(base, undefined, {
        model: MODEL,
        messages: [{ role: 'user', content: `direct ${i}` }],
        max_tokens: MAX_TOKENS,
      });
      ms.push(performance.now() - t0);
    }
    out[site.id] = Math.round(summarize(ms).p50 * 10) / 10;
  }
  return out;
}

async function ramp(label: string, tokens: Map<string, string>, direct: Record<string, number>) {
  const steps = [];
  for (const rate of STEPS) {
    const traffic = new Traffic({
      apiUrl: stack.apiUrl,
      tokens,
      model: MODEL,
      requestId: (i) => `load-${label}-${rate}-${Date.now().toString(36)}-${i}`,
      streamShare: 0,
      streamTokens: MAX_TOKENS,
      plainTokens: MAX_TOKENS,
      timeoutMs: 30_000,
    });
    const pids = await stack.pids();
    const before = cpuSnapshot(pids);
    const t0 = performance.now();
    const deadline = t0 + STEP_MS;
    await traffic.offer(rate, () => performance.now() >= deadline, {
      maxRequests: Math.ceil((rate * STEP_MS) / 1000),
      maxInFlight: 256,
    });
    await traffic.drain();
    const wallS = (performance.now() - t0) / 1000;
    const used = cpuByRole(pids, before, cpuSnapshot(pids));
    const ok = traffic.outcomes.filter((o) => o.ok);
    const step = summarizeStep(rate, wallS, traffic.outcomes, ok, direct, used);
    log(`${label} ${rate} rps → ${JSON.stringify(step)}`);
    steps.push(step);
    if (step.achieved_rps < rate * SATURATED.achievedShare || step.error_share > SATURATED.errorShare) break;
    await sleep(2_000);
  }
  const knee = [...steps]
    .reverse()
    .find((s) => s.achieved_rps >= s.offered_rps * SATURATED.achievedShare && s.error_share <= 0.01);
  return {
    ...(label === 'x2' ? { api: 2, workers: 2 } : { api: 1, workers: 1 }),
    knee_rps: knee?.offered_rps ?? null,
    steps,
  };
}

function summarizeStep(
  rate: number,
  wallS: number,
  all: readonly Outcome[],
  ok: readonly Outcome[],
  direct: Record<string, number>,
  used: Record<Role, number>,
) {
  const lat = ok.length ? summarize(ok.map((o) => o.ms)) : undefined;
  const added = ok.filter((o) => o.site && direct[o.site] !== undefined).map((o) => o.ms - direct[o.site!]!);
  const addedS = added.length ? summarize(added) : undefined;
  const per = (role: Role) => (ok.length ? Math.round((used[role] / ok.length) * 10) / 10 : null);
  const cpu = Object.fromEntries((Object.keys(used) as Role[]).map((r) => [r, per(r)])) as Record<
    Role,
    number | null
  >;
  const sum = (roles: Role[]) => Math.round(roles.reduce((n, r) => n + (cpu[r] ?? 0), 0) * 10) / 10;
  return {
    offered_rps: rate,
    achieved_rps: Math.round((ok.length / wallS) * 10) / 10,
    served: ok.length,
    error_share: all.length ? Math.round(((all.length - ok.length) / all.length) * 1000) / 1000 : 0,
    errors_by_code: errorsByCode(all),
    p50_ms: lat ? Math.round(lat.p50) : null,
    p99_ms: lat ? Math.round(lat.p99) : null,
    added_p50_ms: addedS ? Math.round(addedS.p50) : null,
    added_p99_ms: addedS ? Math.round(addedS.p99) : null,
    cpu_ms_per_request: { ...cpu, federa: sum(FEDERA_ROLES), total: sum([...FEDERA_ROLES, ...INFRA_ROLES]) },
  };
}

try {
  log('starting the production-like stack (2 API replicas, 2 control workers)…');
  await stack.start();
  const tokens = new Map<string, string>();
  for (const t of STACK_TENANTS) tokens.set(t, await stack.tenantToken(t));
  // warm-up: first requests pay for workflow bundles, connection pools and JIT
  const warm = new Traffic({
    apiUrl: stack.apiUrl,
    tokens,
    model: MODEL,
    requestId: (i) => `load-warm-${Date.now().toString(36)}-${i}`,
    streamShare: 0,
    streamTokens: MAX_TOKENS,
    plainTokens: MAX_TOKENS,
    timeoutMs: 60_000,
  });
  await warm.offer(4, () => false, { maxRequests: 40 });
  await warm.drain();
  const direct = await directBaseline();
  log(`direct to each site (p50 ms): ${JSON.stringify(direct)}`);
  const x2 = await ramp('x2', tokens, direct);
  log('stopping the second API replica and control worker…');
  await stack.group.stopChild(apiName(1));
  await stack.group.stopChild(workerName(1));
  await sleep(3_000); // HAProxy's health checks (500 ms × 2) take api-1 out
  const x1 = await ramp('x1', tokens, direct);
  const line = {
    bench: 'load',
    wan_delay: stack.withNetworkDelay ? 'per-site namespace, NFQUEUE link delay' : `none (${stack.degraded})`,
    step_s: STEP_MS / 1000,
    max_tokens: MAX_TOKENS,
    direct_p50_ms: direct,
    replicas: [x1, x2],
  };
  process.stdout.write(JSON.stringify(line) + '\n');
  await shutdown(0);
} catch (err) {
  log(`failed: ${(err as Error).stack ?? String(err)}`);
  await shutdown(1);
}
