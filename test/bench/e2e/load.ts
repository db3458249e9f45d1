/** The load generator: a fixed number of requests at a fixed concurrency, failures counted, not fatal. */

export interface LoadResult<T> {
  /** latency in ms of each request that succeeded */
  readonly latencies: number[];
  /** what each successful request resolved with */
  readonly results: T[];
  readonly errors: number;
  /** the first failure's message, to say why a mode has no figures */
  readonly firstError: string | undefined;
  readonly wallMs: number;
}

/**
 * Runs `count` requests with at most `concurrency` in flight. One that throws is counted (not
 * retried, not timed) and the loop goes on, so a target that is not there yet (the Federa endpoint
 * answering 404) costs its mode its figures, not the whole run.
 */
export async function runLoad<T>(
  count: number,
  concurrency: number,
  request: (i: number) => Promise<T>,
): Promise<LoadResult<T>> {
  const latencies: number[] = [];
  const results: T[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        const start = performance.now();
        try {
          results.push(await request(i));
          latencies.push(performance.now() - start);
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message;
        }
      }
    }),
  );
  return { latencies, results, errors, firstError, wallMs: performance.now() - t0 };
}

/** several runs of one mode as one: samples pooled, errors and wall time summed */
export function mergeLoads<T>(loads: readonly LoadResult<T>[]): LoadResult<T> {
  return {
    latencies: loads.flatMap((l) => l.latencies),
    results: loads.flatMap((l) => l.results),
    errors: loads.reduce((n, l) => n + l.errors, 0),
    firstError: loads.find((l) => l.firstError !== undefined)?.firstError,
    wallMs: loads.reduce((n, l) => n + l.wallMs, 0),
  };
}
