/**
 * How the API and the worker reach Temporal, per environment. The Temporal CLI's dev server has no
 * TLS options, so development and tests connect in plaintext on loopback; production must use
 * mutual TLS (frontend TLS on the server, a client certificate per service) and a namespace of its
 * own: a production process refuses to start against the shared `default` namespace, so a
 * production worker can never pick up a dev or test deployment's tasks (or the reverse).
 */
import { z } from 'zod';

export const FEDERA_ENVIRONMENTS = ['development', 'test', 'production'] as const;

export const temporalEnvShape = {
  /** which deployment this process belongs to; production enforces mTLS and its own namespace */
  FEDERA_ENV: z.enum(FEDERA_ENVIRONMENTS).default('development'),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  /** PEM files for mTLS: this service's client certificate and key, and the server's CA */
  TEMPORAL_TLS_CERT_FILE: z.string().optional(),
  TEMPORAL_TLS_KEY_FILE: z.string().optional(),
  TEMPORAL_TLS_CA_FILE: z.string().optional(),
  /** SNI / host name to verify when it differs from TEMPORAL_ADDRESS's host */
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
};

export type TemporalEnv = z.infer<z.ZodObject<typeof temporalEnvShape>>;

export interface TemporalSettings {
  readonly environment: (typeof FEDERA_ENVIRONMENTS)[number];
  readonly address: string;
  readonly namespace: string;
  readonly tls: {
    readonly certFile: string;
    readonly keyFile: string;
    readonly caFile?: string;
    readonly serverName?: string;
  } | null;
}

/** Validates the Temporal settings of one process; throws a message meant for whoever deploys it. */
export function temporalSettings(e: TemporalEnv): TemporalSettings {
  const { TEMPORAL_TLS_CERT_FILE: certFile, TEMPORAL_TLS_KEY_FILE: keyFile } = e;
  if (Boolean(certFile) !== Boolean(keyFile)) {
    throw new Error('TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE go together: set both or neither');
  }
  if (e.FEDERA_ENV === 'production') {
    if (e.TEMPORAL_NAMESPACE === 'default') {
      throw new Error(
        "FEDERA_ENV=production refuses Temporal's 'default' namespace: set TEMPORAL_NAMESPACE to this " +
          "environment's own namespace (e.g. federa-prod)",
      );
    }
    if (!certFile) {
      throw new Error(
        'FEDERA_ENV=production needs mutual TLS to Temporal: set TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE ' +
          '(and TEMPORAL_TLS_CA_FILE unless the server certificate is publicly trusted)',
      );
    }
  }
  return {
    environment: e.FEDERA_ENV,
    address: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    tls:
      certFile && keyFile
        ? {
            certFile,
            keyFile,
            ...(e.TEMPORAL_TLS_CA_FILE ? { caFile: e.TEMPORAL_TLS_CA_FILE } : {}),
            ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverName: e.TEMPORAL_TLS_SERVER_NAME } : {}),
          }
        : null,
  };
}

/** The TLS options Temporal's Connection and NativeConnection take, read with `read` (a file reader). */
export function temporalTlsOptions(
  settings: TemporalSettings,
  read: (path: string) => Uint8Array,
):
  | {
      clientCertPair: { crt: Uint8Array; key: Uint8Array };
      serverRootCACertificate?: Uint8Array;
      serverNameOverride?: string;
    }
  | undefined {
  const tls = settings.tls;
  if (!tls) return undefined;
  return {
    clientCertPair: { crt: read(tls.certFile), key: read(tls.keyFile) },
    ...(tls.caFile ? { serverRootCACertificate: read(tls.caFile) } : {}),
    ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
  };
}
