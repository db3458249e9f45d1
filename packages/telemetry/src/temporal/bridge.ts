/**
 * Temporal's own worker metrics (task slots, poll latency, sticky cache, …) in Federa's registry.
 * The SDK's core records them into a MetricsBuffer (runtime.ts); this bridge drains that buffer into
 * prom-client families created on first sight of each metric, so one /metrics shows both.
 *
 * Mapping: a counter update is a delta → Counter `<name>_total`; a gauge (or up-down counter) is a
 * value → Gauge; a histogram update is one observation → Histogram, in seconds with Federa's latency
 * buckets when it is a duration. prom-client fixes a family's label names at creation, so they are
 * taken from the first update's attributes plus the context attributes core adds to some updates of
 * a metric and not others (the first `temporal_request`, GetSystemInfo, has no namespace yet): a
 * later update missing one reports it as '' (which PromQL reads as absent), and an attribute the
 * family does not know is dropped (and counted in federa_temporal_labels_dropped_total) rather than
 * failing the drain.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS } from '../metrics/buckets';
import { temporalBridgeMetrics } from '../metrics/catalogue';

/** The parts of the SDK's BufferedMetricUpdate the bridge reads (kept structural for unit tests). */
export interface TemporalMetricUpdate {
  readonly metric: {
    readonly name: string;
    readonly kind: 'counter' | 'histogram' | 'gauge' | 'up-down-counter';
    readonly unit?: string | undefined;
    readonly description?: string | undefined;
  };
  readonly value: number;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
}

type Family = { readonly name: string } & (
  | { readonly kind: 'counter'; readonly metric: Counter<string>; readonly labels: readonly string[] }
  | { readonly kind: 'gauge'; readonly metric: Gauge<string>; readonly labels: readonly string[] }
  | {
      readonly kind: 'up-down-counter';
      readonly metric: Gauge<string>;
      readonly labels: readonly string[];
    }
  | {
      readonly kind: 'histogram';
      readonly metric: Histogram<string>;
      readonly labels: readonly string[];
      /** multiplies a value into seconds (1, or 1/1000 for a duration core reports in ms) */
      readonly scale: number;
    }
);

const PREFIX = 'temporal_';
/** attributes core attaches by context (connection-level calls have no namespace or task queue) */
export const CONTEXT_LABELS = ['namespace', 'task_queue', 'operation'] as const;
/** Prometheus metric and label names: [a-zA-Z_:][a-zA-Z0-9_:]* (labels without ':') */
const sanitize = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^([0-9])/, '_$1');

/** The exported name: core's names carry `temporal_` already (the default metricPrefix); never twice. */
export function temporalMetricName(update: TemporalMetricUpdate['metric']): string {
  const base = sanitize(update.name);
  const name = base.startsWith(PREFIX) ? base : `${PREFIX}${base}`;
  return update.kind === 'counter' && !name.endsWith('_total') ? `${name}_total` : name;
}

const DURATION_UNITS: Record<string, number> = {
  s: 1,
  seconds: 1,
  duration: 1,
  ms: 0.001,
  milliseconds: 0.001,
};

export class TemporalMetricsBridge {
  private readonly families = new Map<string, Family>();
  private readonly registries: Registry[] = [];
  /** attributes dropped because their family did not know them, by metric */
  readonly droppedLabels = temporalBridgeMetrics().droppedLabels;

  /** Export the Temporal families (those seen so far and those to come) through `registry`. */
  bind(registry: Registry): void {
    if (this.registries.includes(registry)) return;
    this.registries.push(registry);
    registry.registerMetric(this.droppedLabels);
    for (const f of this.families.values()) registry.registerMetric(f.metric);
  }

  /** Apply a batch of updates (the buffer's drained contents). */
  apply(updates: Iterable<TemporalMetricUpdate>): void {
    for (const u of updates) {
      if (!Number.isFinite(u.value)) continue;
      const family = this.family(u);
      const labels = this.labelsOf(family, u);
      switch (family.kind) {
        case 'counter':
          if (u.value > 0) family.metric.inc(labels, u.value);
          break;
        case 'gauge':
          family.metric.set(labels, u.value);
          break;
        case 'up-down-counter':
          family.metric.inc(labels, u.value);
          break;
        case 'histogram':
          family.metric.observe(labels, u.value * family.scale);
          break;
      }
    }
  }

  private labelsOf(family: Family, u: TemporalMetricUpdate): Record<string, string> {
    const labels: Record<string, string> = {};
    for (const name of family.labels) labels[name] = '';
    for (const [key, value] of Object.entries(u.attributes)) {
      const name = sanitize(key);
      if (name in labels) labels[name] = String(value);
      else this.droppedLabels.inc({ metric: family.name }, 1);
    }
    return labels;
  }

  private family(u: TemporalMetricUpdate): Family {
    const name = temporalMetricName(u.metric);
    const existing = this.families.get(name);
    if (existing) return existing;
    const labelNames = [...new Set([...Object.keys(u.attributes).map(sanitize), ...CONTEXT_LABELS])].sort();
    const help = u.metric.description || `Temporal SDK metric ${u.metric.name}`;
    const base = { name, help, labelNames, registers: [] as Registry[] };
    let family: Family;
    if (u.metric.kind === 'counter')
      family = { name, kind: 'counter', metric: new Counter(base), labels: labelNames };
    else if (u.metric.kind === 'histogram') {
      const scale = DURATION_UNITS[u.metric.unit ?? ''];
      family = {
        name,
        kind: 'histogram',
        labels: labelNames,
        scale: scale ?? 1,
        // durations in seconds with Federa's buckets; anything else (counts, sizes) prom-client's
        metric: new Histogram(scale ? { ...base, buckets: LATENCY_BUCKETS } : base),
      };
    } else family = { name, kind: u.metric.kind, metric: new Gauge(base), labels: labelNames };
    this.families.set(name, family);
    for (const r of this.registries) r.registerMetric(family.metric);
    return family;
  }
}
