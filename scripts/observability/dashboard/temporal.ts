/**
 * The Temporal SDK's own worker metrics, exported through Federa's registry by both processes. The
 * names are the SDK core's with the `temporal_` prefix (counters end in `_total`, latency
 * histograms are in seconds); labels: namespace, task_queue, worker_type, poller_type, operation.
 */
import { row, timeseries } from './panels';

const RATE = '$__rate_interval';

export const temporal = [
  row('Temporal SDK workers'),
  timeseries({
    title: 'Task slots used / available',
    description:
      'Execution slots per worker type (WorkflowWorker, ActivityWorker, LocalActivityWorker): no slot available means tasks wait',
    queries: [
      { expr: 'sum by (worker_type) (temporal_worker_task_slots_used)', legend: 'used {{worker_type}}' },
      {
        expr: 'sum by (worker_type) (temporal_worker_task_slots_available)',
        legend: 'available {{worker_type}}',
      },
    ],
    unit: 'short',
  }),
  timeseries({
    title: 'Poll latency p95',
    description:
      'Long-poll round trip to the Temporal server by operation (PollWorkflowTaskQueue, PollActivityTaskQueue), p95',
    queries: [
      {
        expr: `histogram_quantile(0.95, sum by (operation, le) (rate(temporal_long_request_latency_bucket[${RATE}])))`,
        legend: '{{operation}}',
      },
    ],
    unit: 's',
  }),
  timeseries({
    title: 'Schedule-to-start p95',
    description:
      'How long tasks wait in their queue before a worker picks them up, p95: the sign of too few workers',
    queries: [
      {
        expr: `histogram_quantile(0.95, sum by (le) (rate(temporal_workflow_task_schedule_to_start_latency_bucket[${RATE}])))`,
        legend: 'workflow tasks',
      },
      {
        expr: `histogram_quantile(0.95, sum by (le) (rate(temporal_activity_schedule_to_start_latency_bucket[${RATE}])))`,
        legend: 'activity tasks',
      },
    ],
    unit: 's',
  }),
  timeseries({
    title: 'Sticky cache hit ratio',
    description:
      "Workflow tasks that found their workflow in the worker's sticky cache (a miss replays history)",
    queries: [
      {
        expr: `sum(rate(temporal_sticky_cache_hit_total[${RATE}])) / (sum(rate(temporal_sticky_cache_hit_total[${RATE}])) + sum(rate(temporal_sticky_cache_miss_total[${RATE}])))`,
        legend: 'hit ratio',
      },
    ],
    unit: 'percentunit',
  }),
  timeseries({
    title: 'Sticky cache size and evictions',
    description: 'Workflows cached per worker process, and forced evictions per second (cache too small)',
    queries: [
      { expr: 'sum by (job, instance) (temporal_sticky_cache_size)', legend: 'cached {{instance}}' },
      {
        expr: `sum by (job, instance) (rate(temporal_sticky_cache_total_forced_eviction_total[${RATE}]))`,
        legend: 'evictions/s {{instance}}',
      },
    ],
    unit: 'short',
  }),
  timeseries({
    title: 'Task failures and request failures / s',
    description:
      'Workflow task failures (nondeterminism shows here), activity failures, and failed calls to the Temporal server',
    queries: [
      {
        expr: `sum(rate(temporal_workflow_task_execution_failed_total[${RATE}]))`,
        legend: 'workflow task failures',
      },
      {
        expr: `sum(rate(temporal_activity_execution_failed_total[${RATE}]))`,
        legend: 'activity failures',
      },
      {
        expr: `sum by (operation) (rate(temporal_request_failure_total[${RATE}]))`,
        legend: 'request failures {{operation}}',
      },
    ],
    unit: 'ops',
  }),
  timeseries({
    title: 'Workflow task execution p95',
    description:
      'Time a worker spends running one workflow task (Federa workflows are short: this should stay in ms)',
    queries: [
      {
        expr: `histogram_quantile(0.95, sum by (le) (rate(temporal_workflow_task_execution_latency_bucket[${RATE}])))`,
        legend: 'p95',
      },
    ],
    unit: 's',
  }),
  timeseries({
    title: 'Pollers',
    description: 'Pollers per poller type (workflow_task, sticky_workflow_task, activity_task)',
    queries: [{ expr: 'sum by (poller_type) (temporal_num_pollers)', legend: '{{poller_type}}' }],
    unit: 'short',
  }),
];
