import { describe, expect, it } from 'vitest';
import { percentile, summarize } from '../stats';
import { CpuSampler, perRequest, ROLES, type Role } from './cpu';
import { buildReport, type Kind, type Phase, type Target } from './report';

const noCpu = Object.fromEntries(ROLES.map((r) => [r, null])) as Record<Role, number | null>;

/** a phase of `n` requests that each took `ms` (TTFT `ttft` when streaming), over `wallMs` */
function phase(
  target: Target,
  kind: Kind,
  concurrency: number,
  ms: number,
  opts: { ttft?: number; wallMs?: number; cpu?: Partial<Record<Role, number>>; n?: number } = {},
): Phase {
  const n = opts.n ?? 100;
  return {
    target,
    kind,
    concurrency,
    load: {
      latencies: Array.from({ length: n }, () => ms),
      results: Array.from({ length: n }, () => (opts.ttft === undefined ? {} : { ttftMs: opts.ttft })),
      errors: 0,
      firstError: undefined,
      wallMs: opts.wallMs ?? 1000,
    },
    cpu: { ...noCpu, ...opts.cpu },
  };
}

describe('percentiles', () => {
  it('takes the nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(summarize([3, 1, 2])).toEqual({ p50: 2, p99: 3, mean: 2 });
  });
});

describe('CPU per request', () => {
  it('reports a process hosting two roles once, under the first, and names the other shared', () => {
    const sampler = new CpuSampler({ api: 10, worker: 20, agent: 20, temporal: 30 });
    expect(sampler.shared).toEqual({ agent: 'worker' });
    const used = sampler.used(
      new Map([
        [10, 100],
        [20, 1000],
        [30, 50],
      ]),
      new Map([
        [10, 300],
        [20, 1400],
        [30, 450],
      ]),
    );
    expect(used).toMatchObject({ api: 200, worker: 400, agent: null, temporal: 400, redis: null });
    expect(perRequest(used, 100)).toMatchObject({
      api: 2,
      worker: 4,
      agent: null,
      temporal: 4,
      federa: 6,
      total: 10,
    });
  });
});

describe('the report', () => {
  const phases = [
    phase('direct', 'plain', 1, 40),
    phase('federa', 'plain', 1, 52, { cpu: { api: 500, worker: 300, temporal: 1500, redis: 100 } }),
    phase('direct', 'plain', 8, 60),
    phase('federa', 'plain', 8, 120, { cpu: { api: 500, worker: 300, temporal: 2500, redis: 100 } }),
    phase('direct', 'plain', 32, 80, { wallMs: 400 }),
    phase('federa', 'plain', 32, 300, { wallMs: 1250 }),
    phase('direct', 'stream', 1, 45, { ttft: 25 }),
    phase('federa', 'stream', 1, 60, { ttft: 35 }),
    phase('trpc', 'plain', 1, 110, { cpu: { api: 1600, worker: 3500, temporal: 4200 } }),
  ];
  const report = buildReport(phases, { requests: 100 });

  it('gives overhead as Federa minus direct, per concurrency, and TTFT overhead for streams', () => {
    expect(report.overhead_ms.c1).toEqual({ p50: 12, p99: 12 });
    expect(report.overhead_ms.c8).toEqual({ p50: 60, p99: 60 });
    expect(report.ttft_overhead_ms.c1).toEqual({ p50: 10, p99: 10 });
    expect(report.ttft_overhead_ms.c8).toBeNull(); // not measured
    expect(report.rps).toMatchObject({ c32: 80, direct_c32: 250 });
    expect(report.baseline_trpc.overhead_ms.c1).toEqual({ p50: 70, p99: 70 });
  });

  it('divides CPU by the requests of Federa phases only, the tRPC baseline apart', () => {
    // 400 requests over the four Federa phases: api 1000, worker 600, temporal 4000, redis 200 ms
    expect(report.cpu_ms_per_request).toMatchObject({
      api: 2.5,
      worker: 1.5,
      temporal: 10,
      federa: 4,
      total: 14.5,
    });
    expect(report.baseline_trpc.cpu_ms_per_request).toMatchObject({ api: 16, worker: 35, temporal: 42 });
  });

  it('judges each target, and an unmeasured one neither passes nor fails', () => {
    expect(report.targets['overhead_ms.c1.p50']).toEqual({ value: 12, target: '<= 15', pass: true });
    expect(report.targets['overhead_ms.c8.p50']).toEqual({ value: 60, target: '<= 50', pass: false });
    expect(report.targets['rps.c32']).toEqual({ value: 80, target: '>= 60', pass: true });
    expect(report.targets['cpu_ms_per_request.federa']).toMatchObject({ value: 4, pass: true });
    expect(report.targets['ttft_overhead_ms.c8.p50']).toEqual({ value: null, target: '<= 50', pass: null });
    expect(report.pass).toBe(false);
  });
});
