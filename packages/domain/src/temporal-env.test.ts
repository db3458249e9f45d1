import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { temporalEnvShape, temporalSettings, temporalTlsOptions } from './temporal-env';

const parse = (env: Record<string, string>) => temporalSettings(z.object(temporalEnvShape).parse(env));
const TLS = { TEMPORAL_TLS_CERT_FILE: '/certs/api.pem', TEMPORAL_TLS_KEY_FILE: '/certs/api.key' };

describe('Temporal settings per environment', () => {
  it("refuses the 'default' namespace in production", () => {
    expect(() => parse({ FEDERA_ENV: 'production', ...TLS })).toThrow(
      /refuses Temporal's 'default' namespace/,
    );
    expect(() => parse({ FEDERA_ENV: 'production', TEMPORAL_NAMESPACE: 'default', ...TLS })).toThrow(
      /TEMPORAL_NAMESPACE/,
    );
  });

  it('refuses plaintext Temporal in production', () => {
    expect(() => parse({ FEDERA_ENV: 'production', TEMPORAL_NAMESPACE: 'federa-prod' })).toThrow(
      /mutual TLS/,
    );
  });

  it('accepts production with its own namespace and a client certificate', () => {
    const s = parse({
      FEDERA_ENV: 'production',
      TEMPORAL_NAMESPACE: 'federa-prod',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      ...TLS,
      TEMPORAL_TLS_CA_FILE: '/certs/ca.pem',
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    expect(s).toEqual({
      environment: 'production',
      address: 'temporal.internal:7233',
      namespace: 'federa-prod',
      tls: {
        certFile: '/certs/api.pem',
        keyFile: '/certs/api.key',
        caFile: '/certs/ca.pem',
        serverName: 'temporal.internal',
      },
    });
    const files: Record<string, string> = {
      '/certs/api.pem': 'CRT',
      '/certs/api.key': 'KEY',
      '/certs/ca.pem': 'CA',
    };
    const tls = temporalTlsOptions(s, (p) => new TextEncoder().encode(files[p]));
    expect(new TextDecoder().decode(tls!.clientCertPair.key)).toBe('KEY');
    expect(new TextDecoder().decode(tls!.serverRootCACertificate)).toBe('CA');
    expect(tls!.serverNameOverride).toBe('temporal.internal');
  });

  it('keeps the dev server defaults (plaintext loopback, default namespace) outside production', () => {
    expect(parse({})).toEqual({
      environment: 'development',
      address: '127.0.0.1:7233',
      namespace: 'default',
      tls: null,
    });
    expect(temporalTlsOptions(parse({ FEDERA_ENV: 'test' }), () => new Uint8Array())).toBeUndefined();
  });

  it('refuses half a client certificate', () => {
    expect(() => parse({ TEMPORAL_TLS_CERT_FILE: '/certs/api.pem' })).toThrow(/set both or neither/);
  });
});
