/**
 * What metrics cost: the same requests against the API and worker relaunched with metrics off
 * (FEDERA_METRICS_PORT=off: no registry served, no Temporal metrics buffer, no state collectors)
 * and on (as `npm start` runs them, scraped every few seconds as Prometheus would), in blocks
 * off, on, on, off so drift on this shared machine hits both alike. CPU per request per process,
 * from /proc, as the rest of the bench.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CpuSampler, addUsage, perRequest, type CpuPerRequest, type Role } from './cpu';
import { runLoad } from './load';

export interface MetricsSetting {
  readonly apiPort: number;
  readonly workerPort: number;
}

export interface OverheadRun {
  /** relaunch the API and worker with metrics on (the ports) or off */
  relaunch(metrics: MetricsSetting | 'off'): Promise<void>;
  pids(): Partial<Record<Role, number>>;
  /** one measured request (a plain chat completion through Federa) */
  request(i: number, phase: string): Promise<unknown>;
  readonly requests: number;
  readonly concurrency: number;
  readonly warmup: number;
  readonly metrics: MetricsSetting;
  readonly scrapeEveryMs: number;
  readonly log: (msg: string) => void;
  readonly stopping: () => boolean;
}

type Usage = Record<Role, number | null>;

export interface MetricsOverhead {
  readonly requests_per_setting: number;
  readonly concurrency: number;
  readonly scrape_every_ms: number;
  readonly scrapes: number;
  readonly off: CpuPerRequest;
  readonly on: CpuPerRequest;
  /** (on − off) / off, percent: our processes (API + worker) and all (with Temporal and Redis) */
  readonly federa_delta_pct: number;
  readonly total_delta_pct: number;
  readonly errors: number;
}

const pct = (on: number | null, off: number | null) =>
  on === null || off === null || off === 0 ? NaN : Math.round(((on - off) / off) * 1000) / 10;

export function overheadOf(
  off: { usage: Usage; served: number },
  on: { usage: Usage; served: number },
): Pick<MetricsOverhead, 'off' | 'on' | 'federa_delta_pct' | 'total_delta_pct'> {
  const offPer = perRequest(off.usage, off.served);
  const onPer = perRequest(on.usage, on.served);
  return {
    off: offPer,
    on: onPer,
    federa_delta_pct: pct(onPer.federa, offPer.federa),
    total_delta_pct: pct(onPer.total, offPer.total),
  };
}

export async function measureMetricsOverhead(run: OverheadRun): Promise<MetricsOverhead> {
  const totals = {
    off: { usage: undefined as Usage | undefined, served: 0 },
    on: { usage: undefined as Usage | undefined, served: 0 },
  };
  let errors = 0;
  let scrapes = 0;
  let current: 'on' | 'off' | undefined;
  const blocks = ['off', 'on', 'on', 'off'] as const;
  const perBlock = Math.ceil(run.requests / 2);
  for (const [b, setting] of blocks.entries()) {
    if (run.stopping()) throw new Error('interrupted');
    if (current !== setting) {
      run.log(`metrics overhead: relaunching the API and worker with metrics ${setting}…`);
      await run.relaunch(setting === 'on' ? run.metrics : 'off');
      current = setting;
      await runLoad(run.warmup, 1, (i) => run.request(i, `metrics-warm-${b}`));
    }
    const sampler = new CpuSampler(run.pids());
    await sampler.settle();
    const scraping = setting === 'on' ? scrapeLoop(run, () => scrapes++) : undefined;
    const before = sampler.snapshot();
    const load = await runLoad(perBlock, run.concurrency, (i) => run.request(i, `metrics-${setting}-${b}`));
    await sampler.settle();
    const used = sampler.used(before, sampler.snapshot());
    await scraping?.stop();
    errors += load.errors;
    const t = totals[setting];
    t.usage = t.usage ? addUsage(t.usage, used) : used;
    t.served += load.latencies.length;
    run.log(`metrics ${setting} block ${b + 1}/4: ${load.latencies.length}/${perBlock} ok`);
  }
  if (!totals.off.usage || !totals.on.usage || !totals.off.served || !totals.on.served)
    throw new Error('no request was served in a metrics block');
  return {
    requests_per_setting: perBlock * 2,
    concurrency: run.concurrency,
    scrape_every_ms: run.scrapeEveryMs,
    scrapes,
    ...overheadOf(
      { usage: totals.off.usage, served: totals.off.served },
      { usage: totals.on.usage, served: totals.on.served },
    ),
    errors,
  };
}

/** Prometheus's part: both endpoints scraped every few seconds while the "on" blocks run. */
function scrapeLoop(run: OverheadRun, counted: () => void): { stop(): Promise<void> } {
  let stopped = false;
  const urls = [run.metrics.apiPort, run.metrics.workerPort].map((p) => `http://127.0.0.1:${p}/metrics`);
  const loop = (async () => {
    while (!stopped) {
      await Promise.all(
        urls.map(async (url) => {
          const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
          await res.text();
          if (res.status !== 200) throw new Error(`${url} answered HTTP ${res.status}`);
          counted();
        }),
      );
      await sleep(run.scrapeEveryMs);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}
