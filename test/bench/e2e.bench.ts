/**
 * bench:e2e — what Federa adds to a request, against the stack `npm start` runs (its Temporal
 * configuration, its processes). In one run: direct to the site emulator vs through Federa's
 * OpenAI surface (POST /v1/chat/completions), plain and streaming, at concurrency 1, 8 and 32, plus
 * the tRPC `inference.complete` call (on the same data plane) as the same-run baseline; CPU per
 * request per process from /proc. Prints one JSON line on stdout (progress on stderr) and stops
 * everything it started, on success, failure and Ctrl-C. See docs/benchmarks.md for the fields.
 */
import { countChatTokens } from '@federa/tokenizer';
import { loadBenchConfig } from './e2e/config';
import { BENCH_METRICS, createBenchStack } from './e2e/stack';
import { chatPlain, chatStream, trpcComplete, type ChatBody, type Outcome } from './e2e/clients';
import { chatMessages } from './e2e/prompts';
import { mergeLoads, runLoad } from './e2e/load';
import { CpuSampler, addUsage } from './e2e/cpu';
import { federaMeterKey, measureCancel } from './e2e/cancel';
import { measureMetricsOverhead } from './e2e/metrics-overhead';
import { summarize } from './stats';
import {
  CONCURRENCIES,
  TRPC_CONCURRENCIES,
  buildReport,
  phaseKey,
  type Kind,
  type Phase,
  type Target,
} from './e2e/report';

const cfg = loadBenchConfig();
const log = (msg: string) => process.stderr.write(`bench:e2e ${msg}\n`);

let stopping = false;
const stack = createBenchStack({
  logLevel: cfg.logLevel,
  onUnexpectedExit: (name, code) => {
    log(`${name} exited unexpectedly (${code})`);
    void shutdown(1);
  },
});

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log('stopping the stack…');
    await stack.federation.stop();
    process.exit(code);
  }
  return new Promise(() => undefined);
}
process.on('SIGINT', () => void shutdown(130));
process.on('SIGTERM', () => void shutdown(143));

const run = Date.now().toString(36);
/** cut streams per target; each would run ~1 s (2,000 tokens at the dev sites' ~2,000 tokens/s) uncut */
const CANCEL_SAMPLES = 20;
const CANCEL_MAX_TOKENS = 2_000;
const body = (i: number): ChatBody => ({
  model: cfg.model,
  messages: chatMessages(i),
  max_tokens: cfg.maxTokens,
});

try {
  log('starting Temporal (SQLite + WAL, as npm start), Redis, the sites, the worker and the API…');
  await stack.federation.start();
  if (!stack.temporal.startedByBench)
    log(
      `note: reusing the Temporal server already on ${stack.temporal.address} (its configuration is its own)`,
    );
  const token = await stack.federation.tenantToken(cfg.tenant);
  const api = stack.federation.apiUrl;
  const federaUrl = cfg.federaUrl ?? `${api}/v1`;
  let directUrl = cfg.directUrl ?? ''; // known after the warm-up: the site Federa chose

  const jobs: Record<Target, Record<Kind, (i: number, phase: string) => Promise<Outcome>>> = {
    trpc: {
      plain: (i, phase) => trpcComplete(api, token, { ...body(i), requestId: `bench-${run}-${phase}-${i}` }),
      stream: () => Promise.reject(new Error('the tRPC path does not stream')),
    },
    federa: {
      plain: (i) => chatPlain(federaUrl, token, body(i)),
      stream: (i) => chatStream(federaUrl, token, body(i)),
    },
    direct: {
      plain: (i) => chatPlain(directUrl, undefined, body(i)),
      stream: (i) => chatStream(directUrl, undefined, body(i)),
    },
  };

  // warm-up, one at a time: the tRPC path first (the worker bundles its workflows on first use),
  // then Federa's surface; both say which site served them, and direct goes to that same site
  const warm = async (target: Target, kind: Kind) => {
    if (stopping) throw new Error('interrupted');
    const load = await runLoad(cfg.warmup, 1, (i) => jobs[target][kind](i, `warm-${kind}`));
    log(
      `warm-up ${target} ${kind}: ${load.latencies.length}/${cfg.warmup} ok${load.firstError ? ` (${load.firstError})` : ''}`,
    );
    return load;
  };
  const trpcWarm = await warm('trpc', 'plain');
  const federaWarm = [await warm('federa', 'plain'), await warm('federa', 'stream')];
  const federaDown = federaWarm.every((w) => w.latencies.length === 0)
    ? federaWarm[0]!.firstError
    : undefined;
  if (federaDown)
    log(`Federa's surface at ${federaUrl} is not serving (${federaDown}); measuring direct and tRPC only`);
  const site =
    federaWarm.flatMap((w) => w.results).find((r) => r.site)?.site ??
    trpcWarm.results.find((r) => r.site)?.site;
  directUrl ||= (site ? stack.siteUrls.get(site) : undefined) ?? '';
  if (!directUrl) throw new Error('no site served the warm-up requests, so there is nothing to compare with');
  await warm('direct', 'plain');
  await warm('direct', 'stream');

  const sampler = new CpuSampler(stack.pids());
  await sampler.settle();
  const phases: Phase[] = [];
  /** one block of a mode; the CPU around it includes the wait for the stack to go idle (reconcile) */
  const block = async (target: Target, kind: Kind, c: number, count: number, offset: number) => {
    if (stopping) throw new Error('interrupted'); // Ctrl-C: no partial report
    const before = sampler.snapshot();
    const load = await runLoad(count, c, (i) => jobs[target][kind](offset + i, `${kind}-c${c}`));
    await sampler.settle();
    return { load, cpu: sampler.used(before, sampler.snapshot()) };
  };
  /**
   * Each target's mode at one concurrency, in alternating blocks (A B, B A, …) so drift on this
   * shared machine hits every target alike; a block holds at least 4 × concurrency requests so
   * ramp-up and drain stay a small part of it.
   */
  const measure = async (targets: readonly Target[], kind: Kind, c: number) => {
    const blocks = Math.max(1, Math.min(6, Math.floor(cfg.requests / (4 * c))));
    const runs = new Map(targets.map((t) => [t, [] as Awaited<ReturnType<typeof block>>[]]));
    for (let b = 0; b < blocks; b++) {
      const offset = Math.floor((cfg.requests * b) / blocks);
      const count = Math.floor((cfg.requests * (b + 1)) / blocks) - offset;
      for (const t of b % 2 === 0 ? targets : [...targets].reverse())
        runs.get(t)!.push(await block(t, kind, c, count, offset));
    }
    for (const [target, done] of runs) {
      const load = mergeLoads(done.map((r) => r.load));
      phases.push({ target, kind, concurrency: c, load, cpu: done.map((r) => r.cpu).reduce(addUsage) });
      const s = load.latencies.length ? summarize(load.latencies) : undefined;
      log(
        `${phaseKey(target, kind, c)}: ${load.latencies.length}/${cfg.requests} ok` +
          (s
            ? `, p50 ${s.p50} ms, p99 ${s.p99} ms, ${((load.latencies.length / load.wallMs) * 1000).toFixed(1)} req/s`
            : '') +
          (load.firstError ? ` (first error: ${load.firstError})` : ''),
      );
    }
  };
  // the tRPC baseline rides along with plain c1 and c8, so its overhead compares within the same blocks
  const targets: Target[] = federaDown ? ['direct'] : ['direct', 'federa'];
  const withTrpc = (kind: Kind, c: number) =>
    kind === 'plain' && (TRPC_CONCURRENCIES as readonly number[]).includes(c);
  for (const kind of ['plain', 'stream'] as const)
    for (const c of CONCURRENCIES) await measure(withTrpc(kind, c) ? [...targets, 'trpc'] : targets, kind, c);

  // a client's disconnect reaching the site: long completions cut at their first token
  log('measuring how fast a disconnect stops the site…');
  const cancel = federaDown
    ? null
    : await measureCancel(
        {
          federa: { baseUrl: federaUrl, token, meterKey: federaMeterKey(cfg.tenant) },
          direct: { baseUrl: directUrl, token: undefined, meterKey: (id) => id },
        },
        { url: directUrl, controlToken: stack.emulatorControlToken },
        { model: cfg.model, messages: chatMessages(0), max_tokens: CANCEL_MAX_TOKENS },
        CANCEL_SAMPLES,
        run,
      );
  log(`cancel: ${JSON.stringify(cancel)}`);

  // what metrics cost: the API and worker relaunched with metrics off and on, plain chat at c8
  const metricsOverhead = federaDown
    ? null
    : await measureMetricsOverhead({
        relaunch: (metrics) => stack.federation.relaunchApps(metrics),
        pids: () => stack.pids(),
        request: (i, phase) => jobs.federa.plain(i, phase),
        requests: cfg.requests,
        concurrency: 8,
        warmup: cfg.warmup,
        metrics: BENCH_METRICS,
        scrapeEveryMs: 5_000,
        log,
        stopping: () => stopping,
      });
  log(`metrics overhead: ${JSON.stringify(metricsOverhead)}`);

  const servedBy: Record<string, number> = {};
  for (const p of phases.filter((x) => x.target !== 'direct'))
    for (const r of p.load.results) if (r.site) servedBy[r.site] = (servedBy[r.site] ?? 0) + 1;
  const report = buildReport(phases, {
    at: new Date().toISOString(),
    requests: cfg.requests,
    warmup: cfg.warmup,
    tenant: cfg.tenant,
    model: cfg.model,
    max_tokens: cfg.maxTokens,
    prompt_tokens: countChatTokens(chatMessages(0)),
    site,
    served_by: servedBy,
    federa_url: federaUrl,
    direct_url: directUrl,
    federa_unavailable: federaDown ?? null,
    // the Federa target pointed at the emulator itself: a check of the bench, overheads should be ~0
    federa_is_direct: federaUrl === directUrl,
    temporal: { ...stack.temporal, config: 'temporal server start-dev, SQLite + WAL (npm start)' },
    cpu_processes: stack.processes,
    cpu_shared: sampler.shared,
    cancel_ms: cancel,
    metrics_overhead: metricsOverhead,
  });
  if (stopping) throw new Error('interrupted');
  console.log(JSON.stringify(report));
  await shutdown(0);
} catch (err) {
  if (!stopping) log(`failed: ${(err as Error).message}`);
  await shutdown(1);
}
