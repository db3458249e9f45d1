import { afterAll, describe, expect, it } from 'vitest';
import { context, createContextKey, propagation, trace } from '@opentelemetry/api';
import { startOtlpReceiver, type OtlpReceiver } from '../../../../test/support/otlp-receiver';
import { traceLogMixin } from './log-mixin';
import { contextFromHeaders, traceHeaders } from './propagation';
import { startTracing } from './provider';
import { inSpan } from './spans';
import { temporalClientTracing, temporalWorkerTracing, workflowTracingModules } from './temporal';

describe('tracing', () => {
  let receiver: OtlpReceiver | undefined;
  afterAll(async () => {
    trace.disable();
    context.disable();
    propagation.disable();
    await receiver?.close();
  });

  // first: nothing may have registered a provider in this process yet
  it('with no endpoint registers nothing: no provider, context manager, propagator or interceptors', async () => {
    const tracing = startTracing({ serviceName: 'federa-test', url: undefined });
    expect(tracing.enabled).toBe(false);
    const span = trace.getTracer('t').startSpan('s');
    expect(span.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(false);
    // the no-op context manager keeps nothing: a value set for a callback is not active inside it
    const key = createContextKey('probe');
    const inside = context.with(context.active().setValue(key, 1), () => context.active().getValue(key));
    expect(inside).toBeUndefined();
    await inSpan('work', {}, () => {
      expect(traceHeaders()).toEqual({});
      expect(traceLogMixin()).toEqual({});
      return Promise.resolve();
    });
    expect(temporalClientTracing(tracing)).toEqual({});
    expect(temporalWorkerTracing(tracing, { bundles: true })).toEqual({});
    expect(workflowTracingModules(tracing)).toEqual([]);
    await tracing.shutdown();
  });

  it('with an endpoint exports spans as OTLP/JSON, propagates W3C context and stamps logs', async () => {
    receiver = await startOtlpReceiver();
    const tracing = startTracing({ serviceName: 'federa-test', url: `${receiver.url}/v1/traces` });
    expect(tracing.enabled).toBe(true);
    const caller = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    let sent: Record<string, string> = {};
    let stamped: Record<string, string> = {};
    await inSpan('outer', { parent: contextFromHeaders({ traceparent: caller }) }, () =>
      inSpan('inner', { attributes: { 'federa.request_id': 'r-1' } }, () => {
        sent = traceHeaders();
        stamped = traceLogMixin();
        return Promise.resolve();
      }),
    );
    await tracing.shutdown();
    const spans = await receiver.waitFor((s) => s.length >= 2);
    const outer = spans.find((s) => s.name === 'outer')!;
    const inner = spans.find((s) => s.name === 'inner')!;
    expect(outer.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(outer.parentSpanId).toBe('b7ad6b7169203331');
    expect(inner).toMatchObject({
      traceId: outer.traceId,
      parentSpanId: outer.spanId,
      service: 'federa-test',
    });
    expect(inner.attributes['federa.request_id']).toBe('r-1');
    expect(sent.traceparent).toBe(`00-${inner.traceId}-${inner.spanId}-01`);
    expect(stamped).toEqual({ trace_id: inner.traceId, span_id: inner.spanId });
    expect(temporalWorkerTracing(tracing, { bundles: true }).interceptors?.workflowModules).toEqual(
      workflowTracingModules(tracing),
    );
  });
});
