/**
 * Federa's own spans. Attributes are metadata only: ids, sites, models, outcomes; never a prompt, a
 * completion or a credential.
 */
import {
  SpanKind,
  SpanStatusCode,
  INVALID_SPAN_CONTEXT,
  context,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { tracingActive } from './provider';

export const federaTracer = () => trace.getTracer('federa');

/** The attribute names Federa's spans share (the request id is what logs carry too). */
export const SPAN_ATTR = {
  requestId: 'federa.request_id',
  tenantId: 'federa.tenant_id',
  model: 'federa.model',
  siteId: 'federa.site_id',
  jurisdiction: 'federa.jurisdiction',
  workflowId: 'temporal.workflow_id',
  outcome: 'federa.outcome',
} as const;

/** Marks a span failed, with the error's class and code, never its message (it may quote input). */
export function failSpan(span: Span, err: unknown): void {
  const code = (err as { code?: unknown; refusal?: { code?: unknown } } | undefined)?.refusal?.code;
  const name = err instanceof Error ? err.name : 'Error';
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? code : name });
  span.setAttribute('error.type', typeof code === 'string' ? code : name);
}

/**
 * Run `fn` in a new span (child of `parent`, the active context by default), ended when `fn`
 * settles; a rejection marks it failed.
 */
export async function inSpan<T>(
  name: string,
  opts: { kind?: SpanKind; attributes?: Attributes; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  if (!tracingActive()) return fn(trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
  const parent = opts.parent ?? context.active();
  const span = federaTracer().startSpan(
    name,
    { kind: opts.kind ?? SpanKind.INTERNAL, ...(opts.attributes ? { attributes: opts.attributes } : {}) },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** A span that lives until a stream is read to its end (or abandoned): ended by the wrapper. */
export async function* endingWith<T>(span: Span, items: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* items;
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

export { SpanKind, SpanStatusCode, context, trace };
export type { Attributes, Span, Context };

/**
 * A span over a stream's whole life: `open` runs inside it (so a request it sends carries it), and
 * the span ends when the stream returned is read to its end, or when opening failed.
 */
export async function streamInSpan<T>(
  name: string,
  opts: { kind?: SpanKind; attributes?: Attributes },
  open: () => Promise<AsyncIterable<T>>,
): Promise<AsyncIterable<T>> {
  if (!tracingActive()) return open();
  const parent = context.active();
  const span = federaTracer().startSpan(
    name,
    { kind: opts.kind ?? SpanKind.CLIENT, ...(opts.attributes ? { attributes: opts.attributes } : {}) },
    parent,
  );
  let items: AsyncIterable<T>;
  try {
    items = await context.with(trace.setSpan(parent, span), open);
  } catch (err) {
    failSpan(span, err);
    span.end();
    throw err;
  }
  return endingWith(span, items);
}
