/**
 * bench:chaos — faults under load on the production-like stack (docs/stack.md). A steady offered
 * load runs throughout; the faults of stack/faults.ts are injected one after another, each held for
 * a while and then healed. Afterwards the stack's own stores are audited (stack/audit.ts). Prints
 * one JSON line on stdout (progress on stderr); bounded in time and requests; stops what it started.
 *
 * Settings (environment): CHAOS_RATE requests/s offered (default 4), CHAOS_HOLD_S each fault held
 * (20), CHAOS_RECOVER_S after each heal (10), CHAOS_BASELINE_S before the first fault (15),
 * CHAOS_FAULTS comma-separated subset of fault names (default all), CHAOS_EXPIRY_WAIT_S before the
 * audit (90: past the stack's 60 s hold TTL and a sweep), CHAOS_ECHO=1 the apps' logs on stderr.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProductionLikeStack } from '../../scripts/stack/stack';
import { STACK_DIR, STACK_TENANTS } from '../../scripts/stack/layout';
import { FAULTS } from './stack/faults';
import { Traffic } from './stack/traffic';
import { auditChaosRun } from './stack/audit';
import { errorsByCode, summarizeWindow, undocumentedErrors, windowOf } from './stack/report';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const RATE = num('CHAOS_RATE', 4);
const HOLD_MS = num('CHAOS_HOLD_S', 20) * 1000;
const RECOVER_MS = num('CHAOS_RECOVER_S', 10) * 1000;
const BASELINE_MS = num('CHAOS_BASELINE_S', 15) * 1000;
const only = process.env.CHAOS_FAULTS?.split(',').map((s) => s.trim());
const faults = only ? FAULTS.filter((f) => only.includes(f.name)) : FAULTS;
/** holds expire after the stack's hold TTL (60 s); the sweeper runs every 15 s */
const HOLD_EXPIRY_WAIT_MS = num('CHAOS_EXPIRY_WAIT_S', 90) * 1000;

const log = (msg: string) => process.stderr.write(`bench:chaos ${msg}\n`);
const unexpected: string[] = [];
const stack = new ProductionLikeStack({
  log,
  // CHAOS_ECHO=1: the apps' own log lines on stderr (to see what a failure was)
  echo: process.env.CHAOS_ECHO === '1',
  onUnexpectedExit: (name, code) => {
    // a process the bench did not kill: part of the result, not a reason to stop
    unexpected.push(`${name}:${code}`);
    log(`${name} exited unexpectedly (${code})`);
  },
});
let stopping = false;
async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log('stopping the stack…');
    await stack.stop().catch((err) => log(`stop: ${(err as Error).message}`));
    process.exit(code);
  }
  return new Promise(() => undefined);
}
process.on('SIGINT', () => void shutdown(130));
process.on('SIGTERM', () => void shutdown(143));

try {
  log('starting the production-like stack…');
  await stack.start();
  const run = `chaos-${Date.now().toString(36)}`;
  const tokens = new Map<string, string>();
  for (const t of STACK_TENANTS) tokens.set(t, await stack.tenantToken(t));
  const traffic = new Traffic({
    apiUrl: stack.apiUrl,
    tokens,
    model: 'llama-3.1-8b',
    requestId: (i) => `${run}-${i}`,
    streamShare: 0.5,
    // ~0.5–1 s streams at the sites' rates: long enough for an agent to die mid-stream
    streamTokens: 1200,
    plainTokens: 32,
    timeoutMs: 60_000,
  });
  const fromMs = Date.now();
  let loadDone = false;
  const plannedMs = BASELINE_MS + faults.length * (HOLD_MS + RECOVER_MS + 60_000);
  const load = traffic.offer(RATE, () => loadDone, { maxRequests: Math.ceil((RATE * plannedMs) / 1000) });
  log(`offering ${RATE} requests/s; baseline ${BASELINE_MS / 1000} s`);
  const t0 = performance.now();
  await sleep(BASELINE_MS);
  const windows: { fault: string; target: string; from: number; to: number; heal_s: number }[] = [];
  for (const fault of faults) {
    const from = performance.now();
    const target = await fault.inject(stack);
    log(`${fault.name}: ${target}; holding ${HOLD_MS / 1000} s`);
    await sleep(HOLD_MS);
    const healFrom = performance.now();
    await fault.heal(stack);
    const to = performance.now();
    windows.push({ fault: fault.name, target, from, to, heal_s: Math.round((to - healFrom) / 100) / 10 });
    log(
      `${fault.name}: healed in ${((to - healFrom) / 1000).toFixed(1)} s; recovering ${RECOVER_MS / 1000} s`,
    );
    await sleep(RECOVER_MS);
  }
  loadDone = true;
  await load;
  await traffic.drain();
  const toMs = Date.now();
  log(
    `load stopped (${traffic.offered} offered); waiting ${HOLD_EXPIRY_WAIT_MS / 1000} s for holds to expire…`,
  );
  await sleep(HOLD_EXPIRY_WAIT_MS);
  const audit = await auditChaosRun({
    redisUrl: stack.redisUrl,
    temporalAddress: stack.temporalAddress,
    federation: 'federa-stack',
    usageArchiveDir: join(STACK_DIR, 'usage-archive'),
    runPrefix: run,
    outcomes: traffic.outcomes,
    fromMs,
    toMs,
  });
  const outcomes = traffic.outcomes;
  const line = {
    bench: 'chaos',
    stack: {
      temporal: '2 servers on PostgreSQL',
      redis: '3 masters + 3 replicas, WAIT 1',
      api_replicas: 2,
      control_workers: 2,
      wan_delay: stack.withNetworkDelay
        ? 'per-site namespace, NFQUEUE link delay'
        : `none (${stack.degraded})`,
    },
    offered_rps: RATE,
    duration_s: Math.round((performance.now() - t0) / 1000),
    offered: traffic.offered,
    served: audit.served,
    errors_by_code: errorsByCode(outcomes),
    undocumented_errors: undocumentedErrors(outcomes),
    records: audit.records,
    records_vs_served: {
      records: audit.records,
      served: audit.served,
      recorded_but_failed_for_client: audit.recordedButFailedForClient,
    },
    lost: audit.lost,
    duplicated: audit.duplicated,
    residency_violations: audit.residencyViolations,
    holds_past_expiry: audit.holdsPastExpiry,
    holds_pending: audit.holdsPending,
    ledger_audit: audit.ledgerAudit,
    baseline: summarizeWindow(windowOf(outcomes, t0, t0 + BASELINE_MS)),
    faults: windows.map((w) => ({
      fault: w.fault,
      target: w.target,
      heal_s: w.heal_s,
      ...summarizeWindow(windowOf(outcomes, w.from, w.to)),
    })),
    unexpected_exits: unexpected,
  };
  process.stdout.write(JSON.stringify(line) + '\n');
  await shutdown(0);
} catch (err) {
  log(`failed: ${(err as Error).stack ?? String(err)}`);
  await shutdown(1);
}
