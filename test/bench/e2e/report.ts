/**
 * The one JSON line: every measured phase reduced to the figures issue 9 asks for (overhead =
 * Federa minus direct, TTFT overhead, requests/s, CPU per request per process) and the issue's
 * targets, each with pass/fail. Pure: phases in, report out.
 */
import { round2, summarize, type Summary } from '../stats';
import { addUsage, perRequest, type CpuPerRequest, type Role } from './cpu';
import type { LoadResult } from './load';
import type { Outcome } from './clients';

export type Target = 'direct' | 'federa' | 'trpc';
export type Kind = 'plain' | 'stream';
export const CONCURRENCIES = [1, 8, 32] as const;
export const TRPC_CONCURRENCIES = [1, 8] as const;

export interface Phase {
  readonly target: Target;
  readonly kind: Kind;
  readonly concurrency: number;
  readonly load: LoadResult<Outcome>;
  /** CPU ms each process used during the phase (and its settling) */
  readonly cpu: Record<Role, number | null>;
}

export const phaseKey = (target: Target, kind: Kind, c: number) => `${target}.${kind}.c${c}`;

interface PhaseFigures {
  latency: Summary | null;
  ttft: Summary | null;
  rps: number | null;
  ok: number;
}

function figures(p: Phase | undefined): PhaseFigures {
  if (!p || p.load.latencies.length === 0) return { latency: null, ttft: null, rps: null, ok: 0 };
  const ttfts = p.load.results.flatMap((r) => (r.ttftMs === undefined ? [] : [r.ttftMs]));
  const ok = p.load.latencies.length;
  return {
    latency: summarize(p.load.latencies),
    ttft: ttfts.length ? summarize(ttfts) : null,
    rps: round2((ok / p.load.wallMs) * 1000),
    ok,
  };
}

function diff(a: Summary | null, b: Summary | null): { p50: number; p99: number } | null {
  return a && b ? { p50: round2(a.p50 - b.p50), p99: round2(a.p99 - b.p99) } : null;
}

/** the targets on this machine */
export const TARGETS = [
  { name: 'overhead_ms.c1.p50', max: 15 },
  { name: 'ttft_overhead_ms.c1.p50', max: 15 },
  { name: 'overhead_ms.c8.p50', max: 50 },
  { name: 'ttft_overhead_ms.c8.p50', max: 50 },
  { name: 'cpu_ms_per_request.federa', max: 15 },
  { name: 'cpu_ms_per_request.temporal', max: 20 },
  { name: 'rps.c32', min: 60 },
  // "a client that disconnects cancels the site's generation within 100 ms" (cancel.ts)
  { name: 'cancel_ms.federa.p99', max: 100 },
  // metrics on vs off, CPU of our processes per request (issue 10: off-path, ≤ 5 %)
  { name: 'metrics_overhead.federa_delta_pct', max: 5 },
] as const;

function lookup(obj: unknown, path: string): number | null {
  let at: unknown = obj;
  for (const part of path.split('.')) at = (at as Record<string, unknown> | null)?.[part];
  return typeof at === 'number' ? at : null;
}

function cpuOver(phases: readonly Phase[]): CpuPerRequest | null {
  const measured = phases.filter((p) => p.load.latencies.length > 0);
  if (measured.length === 0) return null;
  const used = measured.map((p) => p.cpu).reduce(addUsage);
  return perRequest(
    used,
    measured.reduce((n, p) => n + p.load.latencies.length, 0),
  );
}

export function buildReport(phases: readonly Phase[], meta: Record<string, unknown>) {
  const byKey = new Map(phases.map((p) => [phaseKey(p.target, p.kind, p.concurrency), p]));
  const fig = (t: Target, k: Kind, c: number) => figures(byKey.get(phaseKey(t, k, c)));
  const perC = <T>(cs: readonly number[], f: (c: number) => T) =>
    Object.fromEntries(cs.map((c) => [`c${c}`, f(c)]));

  const overhead = perC(CONCURRENCIES, (c) =>
    diff(fig('federa', 'plain', c).latency, fig('direct', 'plain', c).latency),
  );
  const ttftOverhead = perC(CONCURRENCIES, (c) =>
    diff(fig('federa', 'stream', c).ttft, fig('direct', 'stream', c).ttft),
  );
  const streamOverhead = perC(CONCURRENCIES, (c) =>
    diff(fig('federa', 'stream', c).latency, fig('direct', 'stream', c).latency),
  );
  const rps = {
    ...perC(CONCURRENCIES, (c) => fig('federa', 'plain', c).rps),
    ...Object.fromEntries(CONCURRENCIES.map((c) => [`direct_c${c}`, fig('direct', 'plain', c).rps])),
    ...Object.fromEntries(CONCURRENCIES.map((c) => [`stream_c${c}`, fig('federa', 'stream', c).rps])),
    ...Object.fromEntries(CONCURRENCIES.map((c) => [`stream_direct_c${c}`, fig('direct', 'stream', c).rps])),
  };
  const latency = (k: Kind) =>
    perC(CONCURRENCIES, (c) => ({
      direct: fig('direct', k, c).latency,
      federa: fig('federa', k, c).latency,
    }));
  const ttft = perC(CONCURRENCIES, (c) => ({
    direct: fig('direct', 'stream', c).ttft,
    federa: fig('federa', 'stream', c).ttft,
  }));
  const federaPhases = phases.filter((p) => p.target === 'federa');
  const cpuByMode = Object.fromEntries(
    federaPhases.map((p) => [`${p.kind}.c${p.concurrency}`, cpuOver([p])]),
  );
  const trpcPhases = phases.filter((p) => p.target === 'trpc');
  const baseline = {
    overhead_ms: perC(TRPC_CONCURRENCIES, (c) =>
      diff(fig('trpc', 'plain', c).latency, fig('direct', 'plain', c).latency),
    ),
    latency_ms: perC(TRPC_CONCURRENCIES, (c) => fig('trpc', 'plain', c).latency),
    rps: perC(TRPC_CONCURRENCIES, (c) => fig('trpc', 'plain', c).rps),
    cpu_ms_per_request: cpuOver(trpcPhases),
  };
  const errors = Object.fromEntries(
    phases
      .filter((p) => p.load.errors > 0)
      .map((p) => [
        phaseKey(p.target, p.kind, p.concurrency),
        { count: p.load.errors, first: p.load.firstError },
      ]),
  );

  const report = {
    bench: 'e2e',
    ...meta,
    overhead_ms: overhead,
    ttft_overhead_ms: ttftOverhead,
    stream_overhead_ms: streamOverhead,
    rps,
    latency_ms: { plain: latency('plain'), stream: latency('stream') },
    ttft_ms: ttft,
    cpu_ms_per_request: cpuOver(federaPhases),
    cpu_ms_per_request_by_mode: cpuByMode,
    baseline_trpc: baseline,
    errors,
  };
  const targets = Object.fromEntries(
    TARGETS.map((t) => {
      const value = lookup(report, t.name);
      const pass = value === null ? null : 'max' in t ? value <= t.max : value >= t.min;
      return [t.name, { value, target: 'max' in t ? `<= ${t.max}` : `>= ${t.min}`, pass }];
    }),
  );
  return { ...report, targets, pass: Object.values(targets).every((t) => t.pass === true) };
}
