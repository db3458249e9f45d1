/**
 * One Prometheus registry per process: Node's own runtime metrics (process_*, nodejs_*: CPU, heap,
 * event-loop lag) plus federa_build_info, which names the process so one dashboard serves all.
 */
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export type FederaProcess = 'api' | 'worker' | 'site-emulator';

export function createProcessRegistry(process: FederaProcess, version = '0.1.0'): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'federa_build_info',
    help: 'Always 1; the labels name the Federa process and its version',
    labelNames: ['process', 'version'] as const,
    registers: [registry],
  }).set({ process, version }, 1);
  return registry;
}

/**
 * Folds an open-ended label (a tenant id) into a bounded one: the first `max` distinct values keep
 * their name, later ones are reported as 'other'. Tenants come from the registry, not from requests,
 * but a federation may have thousands; a dashboard wants the big ones, a TSDB wants a bound.
 */
export class LabelCap {
  private readonly seen = new Set<string>();
  constructor(readonly max: number) {}

  label(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return 'other';
    this.seen.add(value);
    return value;
  }
}
