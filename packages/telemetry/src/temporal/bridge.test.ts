import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS } from '../metrics/buckets';
import { TemporalMetricsBridge, temporalMetricName, type TemporalMetricUpdate } from './bridge';

type Kind = TemporalMetricUpdate['metric']['kind'];
const metric = (name: string, kind: Kind, unit?: string) => ({
  name,
  kind,
  unit,
  description: `${name} help`,
});

/**
 * The exposition parsed by a real parser; histogram series are parsed as their _bucket/_sum/_count
 * samples (the parser folds a labelled histogram's series into one and loses _sum and _count).
 */
async function scrape(registry: Registry) {
  const text = (await registry.metrics()).replace(/^# (TYPE|HELP) \S+_latency .*$/gm, '');
  return parsePrometheusTextFormat(text);
}

describe('temporalMetricName', () => {
  it('keeps core’s temporal_ prefix, never doubles it, and gives counters _total', () => {
    expect(temporalMetricName(metric('temporal_request', 'counter'))).toBe('temporal_request_total');
    expect(temporalMetricName(metric('request', 'counter'))).toBe('temporal_request_total');
    expect(temporalMetricName(metric('temporal_sticky_cache_size', 'gauge'))).toBe(
      'temporal_sticky_cache_size',
    );
    expect(temporalMetricName(metric('temporal_x_total', 'counter'))).toBe('temporal_x_total');
    expect(temporalMetricName(metric('temporal.odd-name', 'gauge'))).toBe('temporal_odd_name');
  });
});

describe('TemporalMetricsBridge', () => {
  it('adds counter deltas, sets gauges and observes histograms in seconds', async () => {
    const registry = new Registry();
    const bridge = new TemporalMetricsBridge();
    bridge.bind(registry);
    const tq = { namespace: 'default', task_queue: 'q' };
    const counter = metric('temporal_request', 'counter');
    const gauge = metric('temporal_worker_task_slots_available', 'gauge');
    const latency = metric('temporal_long_request_latency', 'histogram', 's');
    bridge.apply([
      { metric: counter, value: 2, attributes: tq },
      { metric: counter, value: 3, attributes: tq },
      { metric: gauge, value: 100, attributes: { ...tq, worker_type: 'ActivityWorker' } },
      { metric: gauge, value: 98, attributes: { ...tq, worker_type: 'ActivityWorker' } },
      { metric: latency, value: 0.012, attributes: tq },
      { metric: latency, value: 0.5, attributes: tq },
    ]);
    const families = await scrape(registry);
    const byName = (n: string) => families.find((f) => f.name === n)!;
    expect(byName('temporal_request_total').metrics).toEqual([
      { labels: { namespace: 'default', task_queue: 'q', operation: '' }, value: '5' },
    ]);
    expect(byName('temporal_worker_task_slots_available').metrics[0]!.value).toBe('98');
    expect(byName('temporal_long_request_latency_count').metrics[0]!.value).toBe('2');
    expect(Number(byName('temporal_long_request_latency_sum').metrics[0]!.value)).toBeCloseTo(0.512, 6);
    const buckets = byName('temporal_long_request_latency_bucket').metrics;
    expect(buckets.map((b) => b.labels!.le)).toEqual([...LATENCY_BUCKETS.map(String), '+Inf']);
    expect(buckets.find((b) => b.labels!.le === '0.015')!.value).toBe('1');
  });

  it('converts durations core reports in milliseconds, and counts up-down counters both ways', async () => {
    const registry = new Registry();
    const bridge = new TemporalMetricsBridge();
    bridge.bind(registry);
    bridge.apply([
      { metric: metric('temporal_ms_latency', 'histogram', 'ms'), value: 250, attributes: {} },
      { metric: metric('temporal_in_use', 'up-down-counter'), value: 3, attributes: {} },
      { metric: metric('temporal_in_use', 'up-down-counter'), value: -1, attributes: {} },
    ]);
    const families = await scrape(registry);
    const sum = families.find((f) => f.name === 'temporal_ms_latency_sum')!.metrics[0]!;
    expect(Number(sum.value)).toBeCloseTo(0.25, 6);
    expect(families.find((f) => f.name === 'temporal_in_use')!.metrics[0]!.value).toBe('2');
  });

  it('fixes labels at first sight: context labels missing later are empty, unknown ones are dropped and counted', async () => {
    const registry = new Registry();
    const bridge = new TemporalMetricsBridge();
    bridge.bind(registry);
    const m = metric('temporal_request', 'counter');
    bridge.apply([
      // core's first call has no namespace yet; its later ones do (a context label: kept)
      { metric: m, value: 1, attributes: { operation: 'GetSystemInfo', service_name: 'core' } },
      { metric: m, value: 1, attributes: { operation: 'Poll', namespace: 'default', service_name: 'core' } },
      // an attribute the family was not created with: the update counts, the attribute is dropped
      { metric: m, value: 1, attributes: { operation: 'Poll', namespace: 'default', status_code: 'X' } },
    ]);
    const families = await scrape(registry);
    const requests = families.find((f) => f.name === 'temporal_request_total')!.metrics;
    expect(requests).toContainEqual({
      labels: { operation: 'GetSystemInfo', service_name: 'core', namespace: '', task_queue: '' },
      value: '1',
    });
    expect(requests).toContainEqual({
      labels: { operation: 'Poll', service_name: 'core', namespace: 'default', task_queue: '' },
      value: '1',
    });
    expect(requests).toContainEqual({
      labels: { operation: 'Poll', service_name: '', namespace: 'default', task_queue: '' },
      value: '1',
    });
    expect(families.find((f) => f.name === 'federa_temporal_labels_dropped_total')!.metrics).toEqual([
      { labels: { metric: 'temporal_request_total' }, value: '1' },
    ]);
  });

  it('exports families seen before it was bound, and skips values that are not finite', async () => {
    const bridge = new TemporalMetricsBridge();
    bridge.apply([
      { metric: metric('temporal_sticky_cache_size', 'gauge'), value: 7, attributes: {} },
      { metric: metric('temporal_sticky_cache_size', 'gauge'), value: Number.NaN, attributes: {} },
    ]);
    const registry = new Registry();
    bridge.bind(registry);
    bridge.bind(registry); // twice is once
    const families = await scrape(registry);
    expect(families.find((f) => f.name === 'temporal_sticky_cache_size')!.metrics[0]!.value).toBe('7');
  });
});
