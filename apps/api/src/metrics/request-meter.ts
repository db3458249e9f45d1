/**
 * One request's metrics, from receipt to its answer: started when the request arrives, told what
 * it learns on the way (who asks for which model, the site it is dispatched to, its first byte),
 * and finished exactly once with its outcome code, whatever path the request took (streamed, plain,
 * refused, failed over, client gone). Nothing here awaits or reads Redis: each call is a few
 * in-memory counter updates. Billed tokens are counted where the usage is posted (the ledger's
 * observer), so a request whose record the workflow posts (its client gone) is counted too.
 */
import type { Tenant, TopologyIndex } from '@federa/domain';
import type { RequestMetrics } from '@federa/telemetry';

export type RequestRoute = 'openai.chat' | 'openai.embeddings' | 'trpc.inference.complete';

/** The code a request whose client left gets (the tRPC surface's own name for it). */
export const CLIENT_CLOSED = 'CLIENT_CLOSED_REQUEST';

export interface RequestMeter {
  /** the caller and the model it asked for (labels bounded: an unknown model is 'unknown') */
  identify(who: { readonly tenant: Tenant; readonly topology: TopologyIndex; readonly model: string }): void;
  /** a site's agent is being called (again, on failover): the first call ends Federa's added latency */
  dispatched(target: { readonly siteId: string; readonly jurisdiction: string }): void;
  /** the first completion byte is being written to the client */
  firstByte(): void;
  /** the answer: 'OK' or the stable error code; only the first call counts */
  finish(code: string): void;
}

/** A meter that records nothing (an API without metrics). */
export const NO_METER: RequestMeter = {
  identify: () => undefined,
  dispatched: () => undefined,
  firstByte: () => undefined,
  finish: () => undefined,
};

/** The model as a label: only models the topology knows, so a client cannot mint series. */
export function modelLabel(topology: TopologyIndex, model: string): string {
  return topology.hasModel(model) ? model : 'unknown';
}

export interface MeterHooks {
  /** told each finished request's code, and whether any site's agent was called for it */
  readonly onFinish?: (code: string, dispatched: boolean) => void;
  readonly now?: () => number;
}

export class MeteredRequest implements RequestMeter {
  private readonly startedAt: number;
  private readonly now: () => number;
  private model = 'unknown';
  private tenantClass = '';
  private site = '';
  private jurisdiction = '';
  private wasDispatched = false;
  private wroteFirstByte = false;
  private finished = false;

  constructor(
    private readonly metrics: RequestMetrics,
    private readonly route: RequestRoute,
    private readonly hooks: MeterHooks = {},
  ) {
    this.now = hooks.now ?? (() => performance.now());
    this.startedAt = this.now();
    metrics.inFlight.inc({ route });
  }

  identify(who: { readonly tenant: Tenant; readonly topology: TopologyIndex; readonly model: string }): void {
    this.tenantClass = who.tenant.class;
    this.model = modelLabel(who.topology, who.model);
  }

  dispatched(target: { readonly siteId: string; readonly jurisdiction: string }): void {
    this.site = target.siteId;
    this.jurisdiction = target.jurisdiction;
    if (this.wasDispatched) return;
    this.wasDispatched = true;
    this.metrics.addedLatency.observe({ route: this.route }, this.secondsSinceStart());
  }

  firstByte(): void {
    if (this.wroteFirstByte || this.finished) return;
    this.wroteFirstByte = true;
    this.metrics.timeToFirstToken.observe({ route: this.route, site: this.site }, this.secondsSinceStart());
  }

  finish(code: string): void {
    if (this.finished) return;
    this.finished = true;
    this.metrics.inFlight.dec({ route: this.route });
    this.metrics.requests.inc({
      route: this.route,
      model: this.model,
      tenant_class: this.tenantClass,
      site: this.site,
      jurisdiction: this.jurisdiction,
      code,
    });
    this.hooks.onFinish?.(code, this.wasDispatched);
  }

  private secondsSinceStart(): number {
    return Math.max(0, this.now() - this.startedAt) / 1000;
  }
}
