/** Overview: traffic, Federa's errors against its SLO, added latency and time to first token. */
import { row, stat, timeseries } from './panels';

const RATE = '$__rate_interval';

export const overview = [
  row('Overview'),
  stat({
    title: 'Requests / s',
    description: 'Inference requests answered per second, every route and outcome',
    queries: [{ expr: `sum(rate(federa_requests_total[${RATE}]))` }],
    unit: 'reqps',
  }),
  stat({
    title: "Errors (Federa's fault)",
    description:
      'Share of requests failed by Federa or a site it chose over 5 min (INTERNAL, DATA_PLANE_UNAVAILABLE, NO_ELIGIBLE_SITE, SITE_UNAVAILABLE, SITE_TIMEOUT, ALL_SITES_FAILED). SLO: 99.9 % succeed.',
    queries: [{ expr: 'federa:request_errors:ratio_rate5m' }],
    unit: 'percentunit',
    redAbove: 0.001,
  }),
  stat({
    title: 'Error budget burn (1 h)',
    description:
      'How fast the 30-day error budget is spent: 1 = exactly on budget; the fast-burn alert fires at 14.4',
    queries: [{ expr: 'federa:request_errors:ratio_rate1h / 0.001' }],
    unit: 'short',
    redAbove: 14.4,
  }),
  stat({
    title: 'Added latency p99',
    description:
      "Time Federa adds before the site's agent is called (auth, counting, admission, route, reserve), p99 over 5 min",
    queries: [{ expr: 'max(route:federa_request_added_latency_seconds:p99_5m)' }],
    unit: 's',
    redAbove: 0.05,
  }),
  timeseries({
    title: 'Requests / s by route',
    description: 'Inference requests answered per second, by route',
    queries: [{ expr: 'route:federa_requests:rate5m', legend: '{{route}}' }],
    unit: 'reqps',
  }),
  timeseries({
    title: 'Requests / s by outcome code',
    description: 'OK or the stable error code each request was answered with',
    queries: [{ expr: `sum by (code) (rate(federa_requests_total[${RATE}]))`, legend: '{{code}}' }],
    unit: 'reqps',
  }),
  timeseries({
    title: "Error ratio by route (Federa's fault)",
    description: "Share of each route's requests that failed by Federa's or a site's fault, 5 min",
    queries: [{ expr: 'route:federa_request_errors:ratio_rate5m', legend: '{{route}}' }],
    unit: 'percentunit',
  }),
  timeseries({
    title: 'Added latency by route',
    description: "Time Federa adds before the site's agent is called, quantiles over 5 min",
    queries: [
      { expr: 'route:federa_request_added_latency_seconds:p50_5m', legend: 'p50 {{route}}' },
      { expr: 'route:federa_request_added_latency_seconds:p95_5m', legend: 'p95 {{route}}' },
      { expr: 'route:federa_request_added_latency_seconds:p99_5m', legend: 'p99 {{route}}' },
    ],
    unit: 's',
  }),
  timeseries({
    title: 'Time to first token by route',
    description: 'Request received to the first completion byte sent to the client, quantiles over 5 min',
    queries: [
      { expr: 'route:federa_time_to_first_token_seconds:p50_5m', legend: 'p50 {{route}}' },
      { expr: 'route:federa_time_to_first_token_seconds:p95_5m', legend: 'p95 {{route}}' },
      { expr: 'route:federa_time_to_first_token_seconds:p99_5m', legend: 'p99 {{route}}' },
    ],
    unit: 's',
  }),
  timeseries({
    title: 'Requests / s by jurisdiction and site',
    description: 'Where requests were served (site and its jurisdiction), for the selected sites',
    queries: [
      {
        expr: `sum by (jurisdiction, site) (rate(federa_requests_total{site=~"$site"}[${RATE}]))`,
        legend: '{{jurisdiction}} {{site}}',
      },
    ],
    unit: 'reqps',
  }),
  timeseries({
    title: 'In flight and admission queue',
    description:
      "Requests admitted and not yet answered, and requests waiting in the API's admission queue (beyond FEDERA_API_MAX_INFLIGHT; OVERLOADED when full)",
    queries: [
      { expr: 'sum by (route) (federa_requests_in_flight)', legend: 'in flight {{route}}' },
      { expr: 'sum(federa_admission_queue_depth)', legend: 'queued' },
    ],
    unit: 'short',
  }),
  timeseries({
    title: 'Tokens / s',
    description: 'Tokens billed per second, by direction (input, output) and model',
    queries: [
      {
        expr: `sum by (direction, model) (rate(federa_tokens_total[${RATE}]))`,
        legend: '{{direction}} {{model}}',
      },
    ],
    unit: 'short',
  }),
];
