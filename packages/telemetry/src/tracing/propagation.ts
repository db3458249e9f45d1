/**
 * W3C trace context across Federa's own HTTP hops (API → site agent → site). Both directions go
 * through the globally registered propagator: with tracing off there is none, and nothing is
 * written or read.
 */
import { ROOT_CONTEXT, context, propagation, type Context } from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import { tracingActive } from './provider';

/** The active context as headers (`traceparent`, `tracestate`); {} when there is nothing to send. */
export function traceHeaders(): Record<string, string> {
  if (!tracingActive()) return {};
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return headers;
}

/** The caller's context from an incoming request's headers (the root context when it sent none). */
export function contextFromHeaders(headers: IncomingHttpHeaders): Context {
  return propagation.extract(ROOT_CONTEXT, headers);
}
