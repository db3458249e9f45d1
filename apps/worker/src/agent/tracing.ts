/**
 * The site agent's spans: a server span per API request, continuing the API's trace from its
 * `traceparent`, and a client span per site exchange (whose own `traceparent` the relays send on).
 * Ids and outcomes only: the payload is sealed, or never recorded.
 */
import type { IncomingMessage } from 'node:http';
import { SPAN_ATTR, SpanKind, contextFromHeaders, inSpan, trace, type Attributes } from '@federa/telemetry';
import type { HostedSite } from './server';

/** The agent's server span around serving one request. */
export function inRequestSpan(req: IncomingMessage, name: string, serve: () => Promise<void>): Promise<void> {
  return inSpan(name, { kind: SpanKind.SERVER, parent: contextFromHeaders(req.headers) }, serve);
}

/** Names the request (and, once known, its outcome) on the agent's span. */
export function annotate(fields: {
  siteId?: unknown;
  workflowId?: unknown;
  requestId?: unknown;
  outcome?: unknown;
}): void {
  const span = trace.getActiveSpan();
  if (!span) return;
  for (const [key, value] of [
    [SPAN_ATTR.siteId, fields.siteId],
    [SPAN_ATTR.workflowId, fields.workflowId],
    [SPAN_ATTR.requestId, fields.requestId],
    [SPAN_ATTR.outcome, fields.outcome],
  ] as const)
    if (typeof value === 'string') span.setAttribute(key, value);
}

/** The span of one exchange with the site. */
export const siteSpan = (site: HostedSite): { kind: SpanKind; attributes: Attributes } => ({
  kind: SpanKind.CLIENT,
  attributes: { [SPAN_ATTR.siteId]: site.siteId, [SPAN_ATTR.jurisdiction]: site.jurisdiction },
});
