import { describe, expect, it } from 'vitest';
import { TopologyIndex, parseTopology } from '@federa/domain';
import { createProcessRegistry, requestMetrics } from '@federa/telemetry';
import { createApiMetrics } from './api-metrics';
import { MeteredRequest, modelLabel } from './request-meter';

const price = { retail: { inputPer1M: 2, outputPer1M: 6 }, wholesale: { inputPer1M: 1, outputPer1M: 3 } };
const topology = new TopologyIndex(
  parseTopology({
    name: 'meter-unit',
    operators: [{ id: 'op', name: 'Op', country: 'FR', currency: 'EUR', rateCard: { chat: price } }],
    sites: [
      {
        id: 'par',
        operator: 'op',
        jurisdiction: 'FR',
        city: 'Paris',
        location: { lat: 48, lon: 2 },
        endpoint: 'http://127.0.0.1:1',
        models: [{ id: 'chat', capacity: 4 }],
      },
    ],
    tenants: [
      {
        id: 'gold',
        name: 'Gold',
        homeOperator: 'op',
        residency: ['FR'],
        budget: 1000,
        region: 'eu',
        location: { lat: 48, lon: 2 },
        class: 'enterprise',
      },
      {
        id: 'plain',
        name: 'Plain',
        homeOperator: 'op',
        residency: ['FR'],
        budget: 1000,
        region: 'eu',
        location: { lat: 48, lon: 2 },
      },
    ],
  }),
);

/** A registry with the request families, a hand-driven clock (ms) and a way to read one series. */
function setup() {
  const registry = createProcessRegistry('api');
  const metrics = requestMetrics(registry);
  let nowMs = 1_000;
  const clock = { advance: (ms: number) => (nowMs += ms), now: () => nowMs };
  const read = async (name: string, labels: Record<string, string> = {}) => {
    const values = (await registry.getSingleMetric(name)!.get()).values;
    return values
      .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
      .reduce((sum, v) => sum + v.value, 0);
  };
  return { registry, metrics, clock, read };
}

describe('the request meter', () => {
  it('labels a model the topology knows by its id, anything else as unknown', () => {
    expect(modelLabel(topology, 'chat')).toBe('chat');
    expect(modelLabel(topology, 'made-up-by-a-client')).toBe('unknown');
    expect(modelLabel(topology, '')).toBe('unknown');
  });

  it('counts a request once however often it is finished, and leaves nothing in flight', async () => {
    const { metrics, clock, read } = setup();
    const meter = new MeteredRequest(metrics, 'openai.chat', { now: clock.now });
    expect(await read('federa_requests_in_flight', { route: 'openai.chat' })).toBe(1);
    meter.identify({ tenant: topology.tenant('gold'), topology, model: 'chat' });
    meter.dispatched({ siteId: 'par', jurisdiction: 'FR' });
    meter.finish('OK');
    meter.finish('INTERNAL');
    meter.finish('OK');
    expect(await read('federa_requests_in_flight', { route: 'openai.chat' })).toBe(0);
    expect(await read('federa_requests_total')).toBe(1);
    expect(
      await read('federa_requests_total', {
        route: 'openai.chat',
        model: 'chat',
        tenant_class: 'enterprise',
        site: 'par',
        jurisdiction: 'FR',
        code: 'OK',
      }),
    ).toBe(1);
  });

  it('a refusal before routing has no site, and an unknown model is labelled unknown', async () => {
    const { metrics, read } = setup();
    const meter = new MeteredRequest(metrics, 'openai.embeddings');
    meter.identify({ tenant: topology.tenant('plain'), topology, model: 'nope' });
    meter.finish('UNKNOWN_MODEL');
    expect(
      await read('federa_requests_total', {
        route: 'openai.embeddings',
        model: 'unknown',
        tenant_class: 'standard',
        site: '',
        jurisdiction: '',
        code: 'UNKNOWN_MODEL',
      }),
    ).toBe(1);
  });

  it('added latency ends at the first dispatch; a failover moves the site, not the latency', async () => {
    const { metrics, clock, read } = setup();
    const meter = new MeteredRequest(metrics, 'openai.chat', { now: clock.now });
    clock.advance(12);
    meter.dispatched({ siteId: 'par', jurisdiction: 'FR' });
    clock.advance(30);
    meter.dispatched({ siteId: 'ams', jurisdiction: 'NL' });
    clock.advance(8);
    meter.firstByte();
    meter.firstByte();
    meter.finish('OK');
    const added = { route: 'openai.chat' };
    expect(await read('federa_request_added_latency_seconds', { ...added, le: '+Inf' })).toBe(1);
    expect(await read('federa_request_added_latency_seconds', { ...added, le: '0.01' })).toBe(0);
    expect(await read('federa_request_added_latency_seconds', { ...added, le: '0.015' })).toBe(1);
    // the first byte came from the site failed over to, 50 ms after receipt
    const ttft = { route: 'openai.chat', site: 'ams' };
    expect(await read('federa_time_to_first_token_seconds', { ...ttft, le: '+Inf' })).toBe(1);
    expect(await read('federa_time_to_first_token_seconds', { ...ttft, le: '0.04' })).toBe(0);
    expect(await read('federa_time_to_first_token_seconds', { ...ttft, le: '0.05' })).toBe(1);
    expect(await read('federa_requests_total', { site: 'ams', jurisdiction: 'NL' })).toBe(1);
  });
});

describe("the API's metrics", () => {
  it('counts a request refused for widening its residency, before any route, as a residency refusal', async () => {
    const registry = createProcessRegistry('api');
    const metrics = createApiMetrics(registry);
    metrics.start('openai.chat').finish('RESIDENCY_VIOLATION');
    metrics.start('openai.chat').finish('BUDGET_EXCEEDED');
    // refused by the site's agent: the agent counts it, in its own process
    const refusedByAgent = metrics.start('openai.chat');
    refusedByAgent.dispatched({ siteId: 'par', jurisdiction: 'FR' });
    refusedByAgent.finish('RESIDENCY_VIOLATION');
    const refusals = (await registry.getSingleMetric('federa_residency_refusals_total')!.get()).values;
    expect(refusals).toEqual([{ labels: { code: 'RESIDENCY_VIOLATION' }, value: 1 }]);
  });

  it('reads the admission queue when scraped, not when requests move', async () => {
    const registry = createProcessRegistry('api');
    const metrics = createApiMetrics(registry);
    const stats = { inFlight: 3, queued: 0, queuedBytes: 0 };
    metrics.watchAdmission({ stats });
    stats.queued = 4;
    stats.queuedBytes = 2048;
    const text = await registry.metrics();
    expect(text).toMatch(/^federa_admission_queue_depth 4$/m);
    expect(text).toMatch(/^federa_admission_queued_bytes 2048$/m);
  });
});
