/**
 * The server span of one /v1 request, continuing the client's W3C trace context when it sent a
 * `traceparent`, and the request's access log line. The span ends, and the line is written, when the
 * response closes (a stream's last byte, or the client leaving). Attributes are metadata only: the
 * route, the status, and the request id, tenant and model once the request names them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import {
  SPAN_ATTR,
  SpanKind,
  SpanStatusCode,
  context,
  contextFromHeaders,
  federaTracer,
  trace,
  tracingActive,
} from '@federa/telemetry';

/** The route as a bounded name: a model id or a stray path never becomes a span name of its own. */
export function routeName(url: string): string {
  const path = url.split('?')[0]!.replace(/\/+$/, '');
  if (path === '/v1/chat/completions' || path === '/v1/embeddings' || path === '/v1/models') return path;
  if (path.startsWith('/v1/models/')) return '/v1/models/{model}';
  return '/v1/*';
}

/** The request id the preflight put on the response (every answer names it from there on). */
export function requestIdOf(res: ServerResponse): string | undefined {
  const id = res.getHeader('x-request-id');
  return typeof id === 'string' ? id : undefined;
}

export function inRequestSpan(
  req: IncomingMessage,
  res: ServerResponse,
  log: Logger,
  handle: () => void,
): void {
  const started = performance.now();
  const route = routeName(req.url ?? '/');
  const accessLog = () =>
    log.info(
      {
        request_id: requestIdOf(res),
        route,
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
        ...(res.writableFinished ? {} : { client_left: true }),
      },
      'request served',
    );
  if (!tracingActive()) {
    res.once('close', accessLog);
    return handle();
  }
  const method = req.method ?? 'GET';
  const parent = contextFromHeaders(req.headers);
  const span = federaTracer().startSpan(
    `${method} ${route}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'http.route': route } },
    parent,
  );
  const active = trace.setSpan(parent, span);
  res.once('close', () => {
    const requestId = requestIdOf(res);
    span.setAttribute('http.response.status_code', res.statusCode);
    if (requestId) span.setAttribute(SPAN_ATTR.requestId, requestId);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    // inside the span's context: the log mixin stamps the line with its trace and span ids
    context.with(active, accessLog);
    span.end();
  });
  context.with(active, handle);
}

/** Names the request on its server span once it is known (tenant, model, request id). */
export function annotateRequest(attrs: { requestId: string; tenantId: string; model: string }): void {
  trace.getActiveSpan()?.setAttributes({
    [SPAN_ATTR.requestId]: attrs.requestId,
    [SPAN_ATTR.tenantId]: attrs.tenantId,
    [SPAN_ATTR.model]: attrs.model,
  });
}
