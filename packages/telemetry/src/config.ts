/**
 * The telemetry settings every Federa process reads, as one zod shape each app's config spreads
 * into its own (process.env is still read only in the apps' config modules).
 */
import { z } from 'zod';

export const telemetryEnvShape = {
  /** where /metrics listens: loopback unless FEDERA_METRICS_TOKEN is set */
  FEDERA_METRICS_HOST: z.string().default('127.0.0.1'),
  /** 'off' disables metrics (and their cost); 0 = any free port. Each app sets its own default. */
  FEDERA_METRICS_PORT: z.union([z.literal('off'), z.coerce.number().int().min(0).max(65535)]).optional(),
  FEDERA_METRICS_TOKEN: z.string().min(16).optional(),
  /** tenants named on the ledger's gauges; the rest are folded into tenant="other" */
  FEDERA_METRICS_MAX_TENANTS: z.coerce.number().int().min(0).max(10_000).default(200),
  /** OTLP/HTTP collector base URL (…/v1/traces is appended); unset = tracing off, at no cost */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  /** a full traces URL, overriding the above (the OpenTelemetry convention) */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url().optional(),
};

export interface MetricsSettings {
  readonly host: string;
  /** undefined = off */
  readonly port: number | undefined;
  readonly token?: string | undefined;
  readonly maxTenants: number;
}

export function metricsSettings(
  env: {
    FEDERA_METRICS_HOST: string;
    FEDERA_METRICS_PORT?: number | 'off' | undefined;
    FEDERA_METRICS_TOKEN?: string | undefined;
    FEDERA_METRICS_MAX_TENANTS: number;
  },
  defaultPort: number,
): MetricsSettings {
  const port = env.FEDERA_METRICS_PORT ?? defaultPort;
  return {
    host: env.FEDERA_METRICS_HOST,
    port: port === 'off' ? undefined : port,
    token: env.FEDERA_METRICS_TOKEN,
    maxTenants: env.FEDERA_METRICS_MAX_TENANTS,
  };
}

/** The OTLP traces URL, or undefined when tracing is off. */
export function tracesUrl(env: {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
}): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT)
    return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return undefined;
}
