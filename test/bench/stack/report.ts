/**
 * The pure half of the stack benches' reports: outcomes cut into windows (a fault's, a load
 * step's), counted by code and summarised as p50/p99. Unit-tested in report.test.ts.
 */
import { ERROR_CODES } from '@federa/domain';
import { summarize } from '../stats';
import type { Outcome } from './traffic';

/**
 * Codes a client may see that are not Federa's: the load balancer's own pages when no replica can
 * take a request, and a connection cut by a process killed mid-answer. docs/stack.md lists them.
 */
export const TRANSPORT_CODES = ['HTTP_502', 'HTTP_503', 'HTTP_504', 'STREAM_CUT', 'CONNECTION_CUT'] as const;

export interface WindowSummary {
  readonly requests: number;
  readonly served: number;
  readonly errors_by_code: Record<string, number>;
  /** latency of the answered requests started in the window, ms */
  readonly p50_ms: number | null;
  readonly p99_ms: number | null;
}

/** outcomes of requests started in [fromMs, toMs) (performance.now() times) */
export function windowOf(outcomes: readonly Outcome[], fromMs: number, toMs: number): Outcome[] {
  return outcomes.filter((o) => o.startedAt >= fromMs && o.startedAt < toMs);
}

export function errorsByCode(outcomes: readonly Outcome[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of outcomes) if (!o.ok) out[o.code ?? 'UNKNOWN'] = (out[o.code ?? 'UNKNOWN'] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

export function summarizeWindow(outcomes: readonly Outcome[]): WindowSummary {
  const ok = outcomes.filter((o) => o.ok).map((o) => o.ms);
  const s = ok.length > 0 ? summarize(ok) : undefined;
  return {
    requests: outcomes.length,
    served: ok.length,
    errors_by_code: errorsByCode(outcomes),
    p50_ms: s ? Math.round(s.p50) : null,
    p99_ms: s ? Math.round(s.p99) : null,
  };
}

/**
 * Failures with neither one of Federa's stable codes nor a documented transport code: a client
 * that got no answer it could act on. A chaos run should show none.
 */
export function undocumentedErrors(outcomes: readonly Outcome[]): Record<string, number> {
  const documented = new Set<string>([...Object.keys(ERROR_CODES), ...TRANSPORT_CODES]);
  const out: Record<string, number> = {};
  for (const o of outcomes) {
    if (o.ok || documented.has(o.code ?? '')) continue;
    out[o.code ?? 'UNKNOWN'] = (out[o.code ?? 'UNKNOWN'] ?? 0) + 1;
  }
  return out;
}
