/**
 * What the router knows of each site of the registry, read at scrape time: its latency EWMA, its
 * circuit breaker, whether it is draining (or down), and the requests in flight there.
 *
 * The router keeps one EWMA per (client region, site); the per-site gauge is their average weighted
 * by samples, over the regions of the topology's tenants.
 */
import type { RoutingMetrics } from '../metrics/catalogue';

export interface RegionLatency {
  readonly rttEwmaMs: number;
  readonly samples: number;
}

/** Sample-weighted mean of a site's per-region EWMAs, in seconds (undefined: never measured). */
export function siteLatencySeconds(perRegion: readonly RegionLatency[]): number | undefined {
  const samples = perRegion.reduce((n, r) => n + r.samples, 0);
  if (samples <= 0) return undefined;
  return perRegion.reduce((s, r) => s + r.rttEwmaMs * r.samples, 0) / samples / 1000;
}

/** The catalogue's circuit encoding: 0 closed, 1 half-open (open, cool-down over: a probe may close it), 2 open. */
export function circuitValue(openedAtMs: number | null, nowMs: number, coolDownMs: number): 0 | 1 | 2 {
  if (openedAtMs === null) return 0;
  return nowMs - openedAtMs >= coolDownMs ? 1 : 2;
}

export interface RoutingStateSource {
  readonly topology: () => Promise<{
    readonly topology: {
      readonly sites: readonly { readonly id: string; readonly status: string }[];
      readonly tenants: readonly { readonly region: string }[];
    };
  }>;
  readonly latency: (
    region: string,
    siteIds: readonly string[],
  ) => Promise<ReadonlyMap<string, RegionLatency>>;
  readonly circuits: (
    siteIds: readonly string[],
  ) => Promise<readonly { readonly siteId: string; readonly openedAt: string | null }[]>;
  readonly inflight: (siteIds: readonly string[]) => Promise<ReadonlyMap<string, number>>;
  /** the breaker's cool-down (workflows' COOL_DOWN_MS) */
  readonly coolDownMs: number;
}

export function routingCollector(opts: {
  readonly metrics: RoutingMetrics;
  readonly source: RoutingStateSource;
  readonly clock?: () => number;
}): () => Promise<void> {
  const { metrics, source } = opts;
  return async () => {
    const { topology } = await source.topology();
    const ids = topology.sites.map((s) => s.id);
    const regions = [...new Set(topology.tenants.map((t) => t.region))];
    const [latencies, circuits, inflight] = await Promise.all([
      Promise.all(regions.map((r) => source.latency(r, ids))),
      source.circuits(ids),
      source.inflight(ids),
    ]);
    const now = (opts.clock ?? Date.now)();
    const opened = new Map(circuits.map((c) => [c.siteId, c.openedAt ? Date.parse(c.openedAt) : null]));
    for (const g of [metrics.latencyEwma, metrics.circuitState, metrics.draining, metrics.siteInFlight])
      g.reset();
    for (const site of topology.sites) {
      const labels = { site: site.id };
      const latency = siteLatencySeconds(latencies.flatMap((m) => m.get(site.id) ?? []));
      if (latency !== undefined) metrics.latencyEwma.set(labels, latency);
      metrics.circuitState.set(labels, circuitValue(opened.get(site.id) ?? null, now, source.coolDownMs));
      metrics.draining.set(labels, site.status === 'active' ? 0 : 1);
      metrics.siteInFlight.set(labels, inflight.get(site.id) ?? 0);
    }
  };
}
