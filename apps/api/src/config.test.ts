import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';

// a JWKS URL keeps the test from reading the dev key file
const base = { FEDERA_JWKS_URL: 'https://keys.example/jwks.json' };

describe('API config', () => {
  it("refuses to start in production on Temporal's 'default' namespace", () => {
    expect(() =>
      loadConfig({
        ...base,
        FEDERA_ENV: 'production',
        TEMPORAL_NAMESPACE: 'default',
        TEMPORAL_TLS_CERT_FILE: '/certs/api.pem',
        TEMPORAL_TLS_KEY_FILE: '/certs/api.key',
      }),
    ).toThrow(/'default' namespace/);
  });

  it('refuses to start in production without mutual TLS to Temporal', () => {
    expect(() =>
      loadConfig({ ...base, FEDERA_ENV: 'production', TEMPORAL_NAMESPACE: 'federa-prod' }),
    ).toThrow(/mutual TLS/);
  });

  it('reads the client certificate files for mTLS', () => {
    expect(() =>
      loadConfig({
        ...base,
        FEDERA_ENV: 'production',
        TEMPORAL_NAMESPACE: 'federa-prod',
        TEMPORAL_TLS_CERT_FILE: '/nonexistent/api.pem',
        TEMPORAL_TLS_KEY_FILE: '/nonexistent/api.key',
      }),
    ).toThrow(/ENOENT.*api\.pem/);
  });
  it('refuses to start when handed the clearing key (FEDERA_CLEARING_KEY_FILE): it belongs to the worker', () => {
    expect(() => loadConfig({ ...base, FEDERA_CLEARING_KEY_FILE: '/keys/clearing-key.json' })).toThrow(
      expect.objectContaining({
        code: 'KEY_PURPOSE_MISMATCH',
        message: expect.stringMatching(/settlement worker only/),
      }),
    );
  });

  it('reads the exchange-file key beside the dev keys unless FEDERA_EXCHANGE_KEY_FILE / _JWKS_FILE say where', () => {
    expect(loadConfig(base).exchangeKeyFiles).toEqual({
      keyFile: '.data/dev/keys/exchange-key.json',
      jwksFile: '.data/dev/keys/exchange-jwks.json',
    });
    expect(
      loadConfig({
        ...base,
        FEDERA_EXCHANGE_KEY_FILE: '/keys/exchange-key.json',
        FEDERA_EXCHANGE_JWKS_FILE: '/keys/exchange-jwks.json',
      }).exchangeKeyFiles,
    ).toEqual({ keyFile: '/keys/exchange-key.json', jwksFile: '/keys/exchange-jwks.json' });
  });

  it("reads the sticky timeout of the data plane's control worker (default 10 s, at least 1 s)", () => {
    expect(loadConfig(base).stickyTimeoutMs).toBe(10_000);
    expect(loadConfig({ ...base, FEDERA_API_STICKY_TIMEOUT_MS: '2000' }).stickyTimeoutMs).toBe(2_000);
    expect(() => loadConfig({ ...base, FEDERA_API_STICKY_TIMEOUT_MS: '10' })).toThrow();
  });

  it('grants output in slices of FEDERA_GRANT_SLICE_TOKENS (1024 unless set), refusing a slice under 16', () => {
    expect(loadConfig(base).grantSliceTokens).toBe(1_024);
    expect(loadConfig({ ...base, FEDERA_GRANT_SLICE_TOKENS: '256' }).grantSliceTokens).toBe(256);
    expect(() => loadConfig({ ...base, FEDERA_GRANT_SLICE_TOKENS: '8' })).toThrow();
  });

  it("serves /metrics on 127.0.0.1:9464 unless FEDERA_METRICS_PORT says another port, 0 (any free one) or 'off'", () => {
    expect(loadConfig(base).metrics).toMatchObject({ host: '127.0.0.1', port: 9464 });
    expect(loadConfig({ ...base, FEDERA_METRICS_PORT: '0' }).metrics.port).toBe(0);
    expect(loadConfig({ ...base, FEDERA_METRICS_PORT: 'off' }).metrics.port).toBeUndefined();
    expect(() => loadConfig({ ...base, FEDERA_METRICS_PORT: 'sometimes' })).toThrow();
  });
});
