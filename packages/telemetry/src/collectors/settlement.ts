/**
 * Settlement's gauges, read from the settlement store at scrape time: per operator pair the end of
 * its latest settled period and that statement's net amount (from = the payer, the consumer; to =
 * the payee, the provider), statements by state, and how far settlement lags behind.
 *
 * Lag: the end of the latest period that could be settled now is floor((now − grace) / period) ×
 * period; when the store's cursor (end of the last settled period) has reached it, settlement is
 * current (0), otherwise the lag is now − grace − cursor (seconds).
 */
import type { SettlementMetrics } from '../metrics/catalogue';

export interface StatementSummary {
  readonly status: string;
  readonly payload: {
    readonly period: { readonly end: string };
    readonly settlementCurrency: string;
    readonly parties: readonly [string, string];
    readonly net: { readonly payer: string | null; readonly payee: string | null; readonly amount: number };
  };
}

export interface PairGauge {
  readonly from: string;
  readonly to: string;
  readonly currency: string;
  readonly periodEndSeconds: number;
  readonly amount: number;
}

/** The latest statement of each pair (statements newest first, as the store lists them). */
export function latestPerPair(statements: readonly StatementSummary[]): PairGauge[] {
  const latest = new Map<string, PairGauge>();
  for (const { payload } of statements) {
    const key = [...payload.parties].sort().join('~');
    const periodEndSeconds = Date.parse(payload.period.end) / 1000;
    const seen = latest.get(key);
    if (seen && seen.periodEndSeconds >= periodEndSeconds) continue;
    const [from, to] =
      payload.net.payer && payload.net.payee ? [payload.net.payer, payload.net.payee] : payload.parties;
    latest.set(key, {
      from,
      to,
      currency: payload.settlementCurrency,
      periodEndSeconds,
      amount: payload.net.amount,
    });
  }
  return [...latest.values()];
}

export function settlementLagSeconds(
  nowMs: number,
  graceMs: number,
  periodMs: number,
  cursorMs: number | null,
): number {
  const settleableEnd = Math.floor((nowMs - graceMs) / periodMs) * periodMs;
  if (cursorMs === null) return 0; // nothing ever settled: nothing to be behind on yet
  if (cursorMs >= settleableEnd) return 0;
  return (nowMs - graceMs - cursorMs) / 1000;
}

export interface SettlementStateSource {
  readonly recentStatements: () => Promise<readonly StatementSummary[]>;
  /** end of the last settled period (ms), or null */
  readonly cursor: () => Promise<number | null>;
  readonly periodMs: number;
  readonly graceMs: number;
}

const STATES = ['issued', 'accepted', 'disputed', 'resolved'];

export function settlementCollector(opts: {
  readonly metrics: SettlementMetrics;
  readonly source: SettlementStateSource;
  readonly clock?: () => number;
}): () => Promise<void> {
  const { metrics, source } = opts;
  return async () => {
    const [statements, cursor] = await Promise.all([source.recentStatements(), source.cursor()]);
    const pairs = latestPerPair(statements);
    metrics.lastSettledPeriodEnd.reset();
    metrics.amount.reset();
    for (const p of pairs) {
      metrics.lastSettledPeriodEnd.set({ from_operator: p.from, to_operator: p.to }, p.periodEndSeconds);
      metrics.amount.set({ from_operator: p.from, to_operator: p.to, currency: p.currency }, p.amount);
    }
    for (const state of STATES)
      metrics.statements.set({ state }, statements.filter((s) => s.status === state).length);
    metrics.lag.set(
      settlementLagSeconds((opts.clock ?? Date.now)(), source.graceMs, source.periodMs, cursor),
    );
  };
}
