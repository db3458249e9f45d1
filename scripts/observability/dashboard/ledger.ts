/** Ledger: operations (where they run) and state (read from Redis at scrape time, per tenant). */
import { barGauge, row, timeseries } from './panels';

const RATE = '$__rate_interval';

// The state gauges are exported by every worker that reads them: max, not sum, across instances.
export const ledger = [
  row('Ledger'),
  timeseries({
    title: 'Ledger operations / s',
    description:
      'Ledger operations by op (reserve, extend, post, void, sweep) and result (ok, refused, error)',
    queries: [
      {
        expr: `sum by (op, result) (rate(federa_ledger_operations_total[${RATE}]))`,
        legend: '{{op}} {{result}}',
      },
    ],
    unit: 'ops',
  }),
  timeseries({
    title: 'Ledger operation latency p99',
    description: 'One Redis script round trip, by op, p99',
    queries: [
      {
        expr: `histogram_quantile(0.99, sum by (op, le) (rate(federa_ledger_operation_duration_seconds_bucket[${RATE}])))`,
        legend: '{{op}}',
      },
    ],
    unit: 's',
  }),
  timeseries({
    title: 'Refusals / s by code',
    description:
      'Ledger refusals (BUDGET_EXCEEDED, RATE_LIMITED, KEY_BUDGET_EXCEEDED, …): policy working, not failure',
    queries: [{ expr: `sum by (code) (rate(federa_ledger_refusals_total[${RATE}]))`, legend: '{{code}}' }],
    unit: 'ops',
  }),
  timeseries({
    title: 'Holds pending by tenant',
    description: 'Holds reserved and neither posted nor voided (top 10 tenants)',
    queries: [{ expr: 'topk(10, max by (tenant) (federa_ledger_holds_pending))', legend: '{{tenant}}' }],
    unit: 'short',
  }),
  timeseries({
    title: 'Money held by tenant',
    description: "Money held by pending holds, minor units of the tenant's home currency (top 10)",
    queries: [
      {
        expr: 'topk(10, max by (tenant, currency) (federa_ledger_holds_pending_minor))',
        legend: '{{tenant}} {{currency}}',
      },
    ],
    unit: 'short',
  }),
  timeseries({
    title: 'Oldest pending hold',
    description:
      'Age of the oldest pending hold by tenant; FederaHoldsStuck fires past 15 min (hold TTL 10 min + sweep)',
    queries: [
      { expr: 'topk(10, max by (tenant) (federa_ledger_hold_oldest_age_seconds))', legend: '{{tenant}}' },
    ],
    unit: 's',
    redAbove: 900,
  }),
  barGauge({
    title: 'Budget utilisation',
    description: "Share of each tenant's budget spent or held this period (prepaid: of its credit), top 15",
    queries: [
      {
        expr: 'topk(15, max by (tenant) (federa_budget_utilisation_ratio))',
        legend: '{{tenant}}',
        instant: true,
      },
    ],
    unit: 'percentunit',
    redAbove: 0.9,
  }),
  timeseries({
    title: 'Overage per hour',
    description: 'Usage charged beyond what was held (absorbed by the operator), minor units per hour',
    queries: [
      {
        expr: 'sum by (currency) (increase(federa_ledger_overage_minor_total[1h]))',
        legend: '{{currency}}',
      },
    ],
    unit: 'short',
  }),
  timeseries({
    title: 'Usage flags / s',
    description: 'Usage records posted with a flag (OVERAGE, SITE_USAGE_DISPUTED, SITE_FAILED_MID_STREAM, …)',
    queries: [{ expr: `sum by (flag) (rate(federa_usage_flags_total[${RATE}]))`, legend: '{{flag}}' }],
    unit: 'ops',
  }),
];
