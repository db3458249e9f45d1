/**
 * A pino `mixin` that stamps each log line with the active span's trace and span ids, so a line can
 * be found from its trace and the other way round. With tracing off no context manager exists: the
 * active span is always absent and the mixin adds nothing.
 */
import { isSpanContextValid, trace } from '@opentelemetry/api';

// pino merges the line's own fields into the object returned: a fresh one each time
export function traceLogMixin(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const ctx = span.spanContext();
  if (!isSpanContextValid(ctx)) return {};
  return { trace_id: ctx.traceId, span_id: ctx.spanId };
}
