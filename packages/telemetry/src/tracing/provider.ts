/**
 * The process's OpenTelemetry tracer provider, registered only when an OTLP endpoint is configured.
 * Without one nothing is registered: @opentelemetry/api stays its own no-op (no context manager, no
 * propagator, no exporter), so every span the code asks for is a shared non-recording one.
 */
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface TracingOptions {
  /** federa-api, federa-worker */
  readonly serviceName: string;
  /** the OTLP/HTTP traces URL (tracesUrl(env)); undefined = tracing off */
  readonly url: string | undefined;
}

export interface Tracing {
  readonly enabled: boolean;
  /**
   * what Temporal's workflow span exporter (a sink outside the workflow sandbox) hands its spans
   * to: the same processor and resource as the rest of the process; undefined when off
   */
  readonly pipeline?: { readonly spanProcessor: SpanProcessor; readonly resource: Resource };
  /** flushes the spans still buffered and stops the exporter */
  shutdown(): Promise<void>;
}

export const TRACING_OFF: Tracing = { enabled: false, shutdown: () => Promise.resolve() };

let registered = false;

/** Whether this process registered a provider: Federa's own spans are skipped outright when not. */
export function tracingActive(): boolean {
  return registered;
}

export function startTracing(opts: TracingOptions): Tracing {
  if (!opts.url) return TRACING_OFF;
  const resource = new Resource({ [ATTR_SERVICE_NAME]: opts.serviceName });
  // JSON over HTTP: any OTLP collector takes it, and a test can read it without protobuf
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: opts.url }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  registered = true;
  provider.register({
    propagator: new W3CTraceContextPropagator(),
    contextManager: new AsyncLocalStorageContextManager(),
  });
  return { enabled: true, pipeline: { spanProcessor, resource }, shutdown: () => provider.shutdown() };
}
