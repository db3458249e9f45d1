/** Settlement between operators, and the Redis and processes everything runs on. */
import { row, stat, table, timeseries } from './panels';

const RATE = '$__rate_interval';

export const settlement = [
  row('Settlement'),
  stat({
    title: 'Settlement lag',
    description:
      'Now minus the grace window minus the end of the last settled period (0 = up to date); FederaSettlementLagging fires past 2 h (two default periods)',
    queries: [{ expr: 'max(federa_settlement_lag_seconds)' }],
    unit: 's',
    redAbove: 7200,
  }),
  stat({
    title: 'Statements disputed',
    description: 'Statements in the disputed state',
    queries: [{ expr: 'max(federa_settlement_statements{state="disputed"})' }],
    unit: 'short',
    redAbove: 1,
  }),
  timeseries({
    title: 'Statements by state',
    description: 'Statements issued, accepted and disputed',
    queries: [{ expr: 'max by (state) (federa_settlement_statements)', legend: '{{state}}' }],
    unit: 'short',
    width: 12,
  }),
  table({
    title: 'Last settled period by operator pair',
    description: 'End of the last settled period with a statement (from = consumer, to = provider)',
    queries: [
      {
        expr: 'max by (from_operator, to_operator) (federa_settlement_last_period_end_timestamp_seconds) * 1000',
        instant: true,
      },
    ],
    unit: 'dateTimeAsIso',
    width: 12,
  }),
  table({
    title: 'Latest statement amount by operator pair',
    description: 'Net amount of the latest statement per pair, minor units of the settlement currency',
    queries: [
      {
        expr: 'max by (from_operator, to_operator, currency) (federa_settlement_amount_minor)',
        instant: true,
      },
    ],
    unit: 'short',
    width: 12,
  }),

  row('Processes and Redis'),
  timeseries({
    title: 'Redis memory',
    description:
      "Redis's used memory against its maxmemory (alerts at 80 % and 95 % when a maxmemory is set)",
    queries: [
      { expr: 'max(federa_redis_memory_used_bytes)', legend: 'used' },
      { expr: 'max(federa_redis_maxmemory_bytes > 0)', legend: 'maxmemory' },
    ],
    unit: 'bytes',
  }),
  timeseries({
    title: 'Targets up',
    description: 'Whether Prometheus can scrape each Federa process (FederaMetricsTargetDown after 2 min)',
    queries: [{ expr: 'up{job=~"federa-.*"}', legend: '{{job}} {{instance}}' }],
    unit: 'short',
  }),
  timeseries({
    title: 'CPU per process',
    description: 'CPU seconds per second used by each Federa process',
    queries: [
      {
        expr: `sum by (job, instance) (rate(process_cpu_seconds_total{job=~"federa-.*"}[${RATE}]))`,
        legend: '{{job}} {{instance}}',
      },
    ],
    unit: 'percentunit',
  }),
  timeseries({
    title: 'Event loop lag p99',
    description: "Node's event-loop delay, p99: a busy loop delays every request of the process",
    queries: [
      {
        expr: 'max by (job, instance) (nodejs_eventloop_lag_p99_seconds{job=~"federa-.*"})',
        legend: '{{job}} {{instance}}',
      },
    ],
    unit: 's',
  }),
  timeseries({
    title: 'Heap used',
    description: "Node's heap in use per process",
    queries: [
      {
        expr: 'sum by (job, instance) (nodejs_heap_size_used_bytes{job=~"federa-.*"})',
        legend: '{{job}} {{instance}}',
      },
    ],
    unit: 'bytes',
  }),
  table({
    title: 'Versions',
    description: 'Which Federa process and version each target runs',
    queries: [{ expr: 'max by (job, instance, process, version) (federa_build_info)', instant: true }],
    unit: 'short',
  }),
];
