/**
 * The API process's metrics: request families (both front doors), the ledger's operations and
 * routing decisions of its in-process control worker, and the admission queue read at scrape time.
 * Built once in main.ts (or by a test) on the process's registry; everything that records takes it
 * as an optional dependency, so an API without metrics pays nothing.
 */
import {
  ledgerMetrics,
  ledgerObserver,
  requestMetrics,
  routingMetrics,
  routingObserver,
  type RequestMetrics,
} from '@federa/telemetry';
import type { Admission } from '../admission';
import { MeteredRequest, type RequestMeter, type RequestRoute } from './request-meter';

/** The process's prom-client registry (telemetry's createProcessRegistry makes it). */
type Registry = Parameters<typeof requestMetrics>[0];

export interface ApiMetrics {
  /** a meter for a request that just arrived */
  start(route: RequestRoute): RequestMeter;
  /** what the API's Ledger reports to (LedgerOptions.observer) */
  readonly ledgerObserver: ReturnType<typeof ledgerObserver>;
  /** what the in-process control worker's activities report routing to (ControlDeps.routeObserver) */
  readonly routeObserver: ReturnType<typeof routingObserver>;
  /** read the admission queue at each scrape (the queue is made after the metrics) */
  watchAdmission(admission: Pick<Admission, 'stats'>): void;
}

export function createApiMetrics(registry: Registry): ApiMetrics {
  const requests = requestMetrics(registry);
  const routing = routingMetrics(registry);
  const routeObserver = routingObserver(routing);
  const onFinish = (code: string, dispatched: boolean) => {
    // a request refused for widening its residency, before any route; NO_ELIGIBLE_SITE is counted
    // by the routing activity, and an agent refusing a foreign request by the agent's own metrics
    if (code === 'RESIDENCY_VIOLATION' && !dispatched) routeObserver.residencyRefused(code);
  };
  return {
    start: (route) => new MeteredRequest(requests, route, { onFinish }),
    // billed tokens are counted at the post, once per usage record
    ledgerObserver: ledgerObserver(ledgerMetrics(registry), requests.tokens),
    routeObserver,
    watchAdmission: (admission) => watchAdmission(requests, admission),
  };
}

/** The queue's depth and bytes, read when Prometheus scrapes (no cost per request). */
function watchAdmission(requests: RequestMetrics, admission: Pick<Admission, 'stats'>): void {
  // prom-client calls a metric's `collect` before reading it; its typings do not expose the field
  type Collectable = { collect?: () => void };
  (requests.admissionQueueDepth as unknown as Collectable).collect = () =>
    requests.admissionQueueDepth.set(admission.stats.queued);
  (requests.admissionQueuedBytes as unknown as Collectable).collect = () =>
    requests.admissionQueuedBytes.set(admission.stats.queuedBytes);
}
