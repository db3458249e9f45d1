/**
 * The routing observer (workflows' RouteObserver, matched structurally) recording into the
 * catalogue's routing families: the site each routing decision chose, and residency refusals.
 * Sites and jurisdictions come from the registry, codes from the domain's stable codes.
 */
import type { RoutingMetrics } from '../metrics/catalogue';

export function routingObserver(metrics: Pick<RoutingMetrics, 'decisions' | 'residencyRefusals'>) {
  return {
    routed(target: { readonly siteId: string; readonly jurisdiction: string }): void {
      metrics.decisions.inc({ site: target.siteId, jurisdiction: target.jurisdiction });
    },
    residencyRefused(code: string): void {
      metrics.residencyRefusals.inc({ code });
    },
  };
}
