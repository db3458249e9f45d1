/**
 * Temporal's OpenTelemetry interceptors, wired only when tracing is on: the client's spans (workflow
 * start, signals, updates) carry the caller's context in Temporal headers; the worker's activity
 * interceptor (local activities too) continues it; the workflow interceptor module, bundled into the
 * workflow code, traces RunWorkflow and every activity it schedules, its spans leaving the sandbox
 * through a sink into this process's span processor. Off, every helper returns nothing to add.
 */
import { createRequire } from 'node:module';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { ClientInterceptors } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { Tracing } from './provider';

const require = createRequire(import.meta.url);

/** The workflow interceptor module: in the workflow bundle only when tracing is on. */
export const WORKFLOW_TRACING_MODULE =
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/** What a Client's options add for tracing ({} when off: the client is built as before). */
export function temporalClientTracing(tracing: Tracing): { interceptors?: ClientInterceptors } {
  if (!tracing.enabled) return {};
  return { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } };
}

/** Interceptor modules for bundleWorkflowCode's workflowInterceptorModules ([] when off). */
export function workflowTracingModules(tracing: Tracing): string[] {
  return tracing.enabled ? [WORKFLOW_TRACING_MODULE] : [];
}

/**
 * What a Worker.create adds for tracing: activity interceptors and the workflow span sink, plus the
 * workflow interceptor module when the worker bundles its workflows itself (`bundles: true`; a
 * pre-built bundle must have been built with workflowTracingModules instead).
 */
export function temporalWorkerTracing(
  tracing: Tracing,
  opts: { readonly bundles: boolean },
): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const pipeline = tracing.pipeline;
  if (!tracing.enabled || !pipeline) return {};
  return {
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
      ...(opts.bundles ? { workflowModules: [WORKFLOW_TRACING_MODULE] } : {}),
    },
    sinks: { exporter: makeWorkflowExporter(pipeline.spanProcessor, pipeline.resource) },
  };
}
