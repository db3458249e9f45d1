/**
 * Settlement's gauges, read from the settlement store at scrape time: per operator pair the end of
 * its latest settled period and that statement's net amount (from = the payer, the consumer; to =
 * the payee, the provider), statements by state, and how far settlement lags behind.
 *
 * Lag, per schedule in use (pairs settle on their agreement's calendar or the federation's default):
 * when the schedule's cursor (end of its last settled period) has reached the end of the latest
 * period that could be settled now (the start of the period open at now − grace), it is current (0),
 * otherwise it lags now − grace − cursor (seconds). The gauge is the worst schedule's lag.
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

/** One schedule's position: where its settling stands and where it could stand now. */
export interface ScheduleCursor {
  /** end of the schedule's last settled period (ms), or null when it never settled */
  readonly cursorMs: number | null;
  /** end of the latest period of the schedule that could be settled now (ms) */
  readonly settleableEndMs: number;
}

export function settlementLagSeconds(
  nowMs: number,
  graceMs: number,
  schedules: readonly ScheduleCursor[],
): number {
  let lag = 0;
  for (const { cursorMs, settleableEndMs } of schedules) {
    // nothing ever settled on this schedule: nothing to be behind on yet
    if (cursorMs === null || cursorMs >= settleableEndMs) continue;
    lag = Math.max(lag, (nowMs - graceMs - cursorMs) / 1000);
  }
  return lag;
}

export interface SettlementStateSource {
  readonly recentStatements: () => Promise<readonly StatementSummary[]>;
  /** each schedule in use, at `nowMs` */
  readonly schedules: (nowMs: number) => Promise<readonly ScheduleCursor[]>;
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
    const nowMs = (opts.clock ?? Date.now)();
    const [statements, schedules] = await Promise.all([source.recentStatements(), source.schedules(nowMs)]);
    const pairs = latestPerPair(statements);
    metrics.lastSettledPeriodEnd.reset();
    metrics.amount.reset();
    for (const p of pairs) {
      metrics.lastSettledPeriodEnd.set({ from_operator: p.from, to_operator: p.to }, p.periodEndSeconds);
      metrics.amount.set({ from_operator: p.from, to_operator: p.to, currency: p.currency }, p.amount);
    }
    for (const state of STATES)
      metrics.statements.set({ state }, statements.filter((s) => s.status === state).length);
    metrics.lag.set(settlementLagSeconds(nowMs, source.graceMs, schedules));
  };
}
