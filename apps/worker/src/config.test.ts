import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';

describe('worker config', () => {
  it("refuses to start in production on Temporal's 'default' namespace", () => {
    expect(() =>
      loadConfig({
        FEDERA_ENV: 'production',
        TEMPORAL_TLS_CERT_FILE: '/certs/worker.pem',
        TEMPORAL_TLS_KEY_FILE: '/certs/worker.key',
      }),
    ).toThrow(/'default' namespace/);
  });

  it('refuses to start in production without mutual TLS to Temporal', () => {
    expect(() => loadConfig({ FEDERA_ENV: 'production', TEMPORAL_NAMESPACE: 'federa-prod' })).toThrow(
      /mutual TLS/,
    );
  });

  it('connects to the dev server in plaintext on its default namespace outside production', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ namespace: 'default', temporalAddress: '127.0.0.1:7233' });
    expect(config.temporalTls).toBeUndefined();
  });

  it('serves metrics on loopback port 9465 by default, on any free port with 0, and none with off', () => {
    expect(loadConfig({}).metrics).toMatchObject({ host: '127.0.0.1', port: 9465, maxTenants: 200 });
    expect(loadConfig({ FEDERA_METRICS_PORT: '0' }).metrics.port).toBe(0);
    expect(loadConfig({ FEDERA_METRICS_PORT: 'off' }).metrics.port).toBeUndefined();
    expect(() => loadConfig({ FEDERA_METRICS_PORT: 'many' })).toThrow();
  });

  it('runs the control work by default; FEDERA_CONTROL_WORKER=off keeps only the site agents', () => {
    expect(loadConfig({}).controlWorker).toBe(true);
    expect(loadConfig({ FEDERA_CONTROL_WORKER: 'off', FEDERA_SITE_AGENTS: 'par' }).controlWorker).toBe(false);
    expect(() => loadConfig({ FEDERA_CONTROL_WORKER: 'maybe' })).toThrow();
  });

  it('refuses a worker with neither control work nor site agents', () => {
    expect(() => loadConfig({ FEDERA_CONTROL_WORKER: 'off', FEDERA_SITE_AGENTS: 'none' })).toThrow(
      /nothing to do/,
    );
  });

  it('waits for no Redis replica by default, for FEDERA_REDIS_WAIT_REPLICAS when set', () => {
    expect(loadConfig({}).redisDurability).toBeUndefined();
    expect(loadConfig({ FEDERA_REDIS_WAIT_REPLICAS: '1' }).redisDurability).toEqual({
      replicas: 1,
      timeoutMs: 200,
    });
    expect(() => loadConfig({ FEDERA_REDIS_WAIT_TIMEOUT_MS: '0' })).toThrow();
  });

  it('takes a cluster REDIS_URL and refuses a bad one without echoing its password', () => {
    const url = 'redis+cluster://federa:pw@198.18.0.1:7311,198.18.0.1:7312';
    expect(loadConfig({ REDIS_URL: url }).redisUrl).toBe(url);
    let message = '';
    try {
      loadConfig({ REDIS_URL: 'redis://federa:hunter2@host-without-port' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('is not host:port');
    expect(message).not.toContain('hunter2');
  });
});
