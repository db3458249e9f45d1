/** Routing: what the router knows of each site, what it decided, and the site agents' last hop. */
import { row, stateTimeline, timeseries } from './panels';

const RATE = '$__rate_interval';
const SITE = 'site=~"$site"';

export const routing = [
  row('Routing and sites'),
  timeseries({
    title: 'Routing decisions / s by site',
    description: 'Sites chosen by the router (failover attempts count again)',
    queries: [
      {
        expr: `sum by (site, jurisdiction) (rate(federa_route_decisions_total{${SITE}}[${RATE}]))`,
        legend: '{{site}} ({{jurisdiction}})',
      },
    ],
    unit: 'ops',
  }),
  timeseries({
    title: 'Residency refusals / s',
    description:
      "Requests refused for residency: no site within the tenant's jurisdictions (NO_ELIGIBLE_SITE, RESIDENCY_CONFLICT) or an agent refusing a foreign request (RESIDENCY_VIOLATION)",
    queries: [{ expr: `sum by (code) (rate(federa_residency_refusals_total[${RATE}]))`, legend: '{{code}}' }],
    unit: 'ops',
  }),
  stateTimeline({
    title: 'Circuit breakers',
    description: "Each site's circuit breaker; FederaSiteCircuitOpen fires after 5 min open",
    queries: [{ expr: `max by (site) (federa_site_circuit_state{${SITE}})`, legend: '{{site}}' }],
    unit: 'short',
    mappings: { '0': 'closed', '1': 'half-open', '2': 'open' },
  }),
  timeseries({
    title: 'Site latency (router EWMA)',
    description: "The router's moving average of each site's time to first token",
    queries: [{ expr: `max by (site) (federa_site_latency_ewma_seconds{${SITE}})`, legend: '{{site}}' }],
    unit: 's',
  }),
  timeseries({
    title: 'Probe round trip p95',
    description: "The worker's active health probe to each site, p95",
    queries: [
      {
        expr: `histogram_quantile(0.95, sum by (site, le) (rate(federa_site_probe_rtt_seconds_bucket{${SITE}}[${RATE}])))`,
        legend: '{{site}}',
      },
    ],
    unit: 's',
  }),
  timeseries({
    title: 'Probe failures / s',
    description: 'Active health probes that failed, by site',
    queries: [
      {
        expr: `sum by (site) (rate(federa_site_probe_failures_total{${SITE}}[${RATE}]))`,
        legend: '{{site}}',
      },
    ],
    unit: 'ops',
  }),
  timeseries({
    title: 'Site load and draining',
    description:
      "Requests in flight at each site (the router's load input); draining = 1 while a site takes no new requests",
    queries: [
      { expr: `max by (site) (federa_site_in_flight{${SITE}})`, legend: 'in flight {{site}}' },
      { expr: `max by (site) (federa_site_draining{${SITE}})`, legend: 'draining {{site}}' },
    ],
    unit: 'short',
  }),
  timeseries({
    title: 'Agent requests / s by site and code',
    description: 'Requests relayed by the site agents, by site and outcome code',
    queries: [
      {
        expr: `sum by (site, code) (rate(federa_agent_requests_total{${SITE}}[${RATE}]))`,
        legend: '{{site}} {{code}}',
      },
    ],
    unit: 'reqps',
  }),
  timeseries({
    title: 'Agent to site: time to first token p95',
    description: 'Agent sends the request to the first completion byte from the site, p95',
    queries: [
      {
        expr: `histogram_quantile(0.95, sum by (site, le) (rate(federa_agent_site_ttft_seconds_bucket{${SITE}}[${RATE}])))`,
        legend: '{{site}}',
      },
    ],
    unit: 's',
  }),
  timeseries({
    title: 'Output-token grant slices / s',
    description:
      'Further output-token slices the agents asked for while streaming, by result (granted, refused)',
    queries: [
      {
        expr: `sum by (result) (rate(federa_agent_grant_slices_total{${SITE}}[${RATE}]))`,
        legend: '{{result}}',
      },
    ],
    unit: 'ops',
  }),
];
