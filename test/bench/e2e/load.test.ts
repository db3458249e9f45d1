import { describe, expect, it } from 'vitest';
import { loadBenchConfig } from './config';
import { mergeLoads, runLoad } from './load';

describe('runLoad', () => {
  it('runs every request with at most `concurrency` in flight and counts failures without stopping', async () => {
    let inFlight = 0;
    let most = 0;
    const load = await runLoad(50, 4, async (i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      if (i % 10 === 0) throw new Error(`HTTP 404 for ${i}`);
      return i;
    });
    expect(most).toBe(4);
    expect(load.errors).toBe(5);
    expect(load.firstError).toBe('HTTP 404 for 0');
    expect(load.latencies).toHaveLength(45);
    expect([...load.results].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i).filter((i) => i % 10 !== 0),
    );
  });
});

describe('mergeLoads', () => {
  it('pools the blocks of one mode: samples concatenated, errors and wall time summed, the first error kept', () => {
    const merged = mergeLoads([
      { latencies: [10, 20], results: ['a', 'b'], errors: 0, firstError: undefined, wallMs: 100 },
      { latencies: [30], results: ['c'], errors: 2, firstError: 'HTTP 503', wallMs: 50 },
      { latencies: [], results: [], errors: 1, firstError: 'fetch failed', wallMs: 5 },
    ]);
    expect(merged).toEqual({
      latencies: [10, 20, 30],
      results: ['a', 'b', 'c'],
      errors: 3,
      firstError: 'HTTP 503',
      wallMs: 155,
    });
  });
});

describe('the bench configuration', () => {
  it('defaults to 300 requests per mode for the single-site Nordic tenant', () => {
    expect(loadBenchConfig({})).toMatchObject({
      requests: 300,
      warmup: 30,
      tenant: 'nordic-fin',
      maxTokens: 64,
      federaUrl: undefined,
      logLevel: 'warn',
    });
  });

  it('takes a Federa target URL without its trailing slash, and refuses nonsense', () => {
    expect(loadBenchConfig({ BENCH_FEDERA_URL: 'http://127.0.0.1:9305/v1/' }).federaUrl).toBe(
      'http://127.0.0.1:9305/v1',
    );
    expect(() => loadBenchConfig({ BENCH_REQUESTS: 'many' })).toThrow(/BENCH_REQUESTS/);
    expect(() => loadBenchConfig({ BENCH_FEDERA_URL: 'not a url' })).toThrow(/BENCH_FEDERA_URL/);
  });
});
