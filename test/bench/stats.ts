/** Small helpers shared by benchmarks: percentiles and a bounded concurrent loop. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const round2 = (x: number) => Math.round(x * 100) / 100;

export interface Summary {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: round2(percentile(sorted, 50)),
    p99: round2(percentile(sorted, 99)),
    mean: round2(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}

/** Run `count` jobs with at most `concurrency` in flight; returns each job's latency in ms and the wall time. */
export async function runLoad(
  count: number,
  concurrency: number,
  job: (i: number) => Promise<void>,
): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        const start = performance.now();
        await job(i);
        latencies.push(performance.now() - start);
      }
    }),
  );
  return { latencies, wallMs: performance.now() - t0 };
}

/** CPU time this process spent (user + system, µs) while `work` ran, beside its result. */
export async function withCpu<T>(work: () => Promise<T>): Promise<{ value: T; cpuUs: number }> {
  const before = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(before);
  return { value, cpuUs: used.user + used.system };
}
