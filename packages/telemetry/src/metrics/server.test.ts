import { afterEach, describe, expect, it } from 'vitest';
import { Counter, Registry } from 'prom-client';
import { startMetricsServer, type MetricsServer } from './server';
import { LabelCap, createProcessRegistry } from './registry';

const servers: MetricsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function registryWithOne(): { registry: Registry; counter: Counter<'op'> } {
  const registry = new Registry();
  const counter = new Counter({
    name: 'x_ops_total',
    help: 'ops',
    labelNames: ['op'],
    registers: [registry],
  });
  return { registry, counter };
}

describe('the metrics endpoint', () => {
  it('serves the registry in the text exposition format at /metrics only', async () => {
    const { registry, counter } = registryWithOne();
    counter.inc({ op: 'reserve' }, 3);
    const server = await startMetricsServer({ registry, host: '127.0.0.1', port: 0 });
    servers.push(server);
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('x_ops_total{op="reserve"} 3');
    expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
  });

  it('requires the bearer token when one is set', async () => {
    const { registry } = registryWithOne();
    const server = await startMetricsServer({
      registry,
      host: '127.0.0.1',
      port: 0,
      token: 'a-long-enough-token',
    });
    servers.push(server);
    expect((await fetch(server.url)).status).toBe(401);
    expect(
      (await fetch(server.url, { headers: { authorization: 'Bearer wrong-token-of-len' } })).status,
    ).toBe(401);
    const ok = await fetch(server.url, { headers: { authorization: 'Bearer a-long-enough-token' } });
    expect(ok.status).toBe(200);
  });

  it('refuses to listen beyond loopback without a token', async () => {
    const { registry } = registryWithOne();
    await expect(startMetricsServer({ registry, host: '0.0.0.0', port: 0 })).rejects.toThrow(
      /FEDERA_METRICS_TOKEN/,
    );
  });

  it('still answers when the pre-scrape collection fails, and reports the failure', async () => {
    const { registry, counter } = registryWithOne();
    counter.inc({ op: 'post' });
    const failures: unknown[] = [];
    const server = await startMetricsServer({
      registry,
      host: '127.0.0.1',
      port: 0,
      beforeScrape: () => Promise.reject(new Error('redis down')),
      onError: (err) => failures.push(err),
    });
    servers.push(server);
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('x_ops_total{op="post"} 1');
    expect(failures).toHaveLength(1);
  });
});

describe('the process registry', () => {
  it("names the process and carries Node's runtime metrics", async () => {
    const text = await createProcessRegistry('worker').metrics();
    expect(text).toContain('federa_build_info{process="worker",version="0.1.0"} 1');
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});

describe('LabelCap', () => {
  it('keeps the first values it sees and folds the rest into "other"', () => {
    const cap = new LabelCap(2);
    expect(['a', 'b', 'c', 'a', 'd', 'b'].map((v) => cap.label(v))).toEqual([
      'a',
      'b',
      'other',
      'a',
      'other',
      'b',
    ]);
  });
});
