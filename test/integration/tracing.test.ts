/**
 * One trace per request, across processes: the real API and worker apps run as child processes
 * (as `npm start` runs them) exporting to an in-process OTLP/HTTP receiver. A streamed chat through
 * the official `openai` client must leave one trace id on the API's server span, the workflow's
 * start and run, the route/reserve and reconcile local activities, the API's agent call and settle,
 * the agent's own span (the worker process) and its site call; the site must have received a
 * traceparent of that trace, and the API's log line of the request must carry its trace and id.
 */
import OpenAI from 'openai';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentLiveness } from '@federa/workflows';
import { spawnApi, type ApiProcess } from '../support/api-process';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { TEST_EMBEDDING_MODEL, TEST_MODEL, testTopology } from '../support/topology';
import { spawnWorker, type WorkerProcess } from '../support/worker-process';

/** Every span the request's trace must hold: [service, name]. */
const EXPECTED: readonly (readonly [string, string])[] = [
  ['federa-api', 'POST /v1/chat/completions'],
  ['federa-api', 'StartWorkflow:servedRequestWorkflow'],
  ['federa-api', 'RunWorkflow:servedRequestWorkflow'],
  ['federa-api', 'StartActivity:admitRequest'],
  ['federa-api', 'RunActivity:admitRequest'],
  ['federa-api', 'agent.chat'],
  ['federa-worker', 'agent.chat'],
  ['federa-worker', 'site.chat'],
  ['federa-worker', 'SignalWorkflow:usageReported'],
  ['federa-api', 'HandleSignal:usageReported'],
  ['federa-api', 'federa.settle'],
  ['federa-api', 'RunActivity:settleServed'],
];

const inTrace = (spans: readonly ReceivedSpan[], traceId: string) =>
  spans.filter((s) => s.traceId === traceId);
const has = (spans: readonly ReceivedSpan[], [service, name]: readonly [string, string]) =>
  spans.some((s) => s.service === service && s.name === name);

describe('tracing across the API, the workflow, the agent and the site', () => {
  const s = uniqueSuffix();
  const eu = `${s}-eu`;
  const sto = `${s}-sto`;
  let fed: Federation;
  let receiver: OtlpReceiver;
  let worker: WorkerProcess;
  let api: ApiProcess;
  let apiUrl: string;
  const apiLines: string[] = [];

  beforeAll(async () => {
    // no workers or data plane in the test process: the two children do all the work (and tracing)
    fed = await startFederation(testTopology(s), { workers: 'none', dataPlane: 'none' });
    receiver = await startOtlpReceiver();
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      FEDERA_METRICS_PORT: '0',
    };
    worker = spawnWorker(fed, env);
    api = spawnApi(fed, env);
    let partial = '';
    api.proc.stdout?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      apiLines.push(...lines);
    });
    await worker.ready;
    apiUrl = await api.ready;
    const liveness = new AgentLiveness(fed.redis);
    while (!(await liveness.endpoints([sto])).has(sto)) await sleep(50);
  }, 120_000);
  afterAll(async () => {
    await api?.kill();
    await worker?.kill();
    await receiver?.close();
    await fed?.close();
  });

  it('one trace id from the client through the workflow, the agent and the site', async () => {
    fed.emulator(sto).configure({ completionTokens: 20 });
    const client = new OpenAI({
      apiKey: await fed.token('tenant', eu),
      baseURL: `${apiUrl}/v1`,
      maxRetries: 0,
    });
    const requestId = `traced-${s}`;
    const stream = await client.chat.completions.create(
      {
        model: TEST_MODEL,
        messages: [{ role: 'user', content: 'A short poem about lighthouses.' }],
        stream: true,
      },
      // SE has one site: the request is served by the Stockholm emulator through the worker's agent
      { headers: { 'Idempotency-Key': requestId, 'X-Federa-Residency': 'SE' } },
    );
    let received = '';
    for await (const chunk of stream) received += chunk.choices[0]?.delta.content ?? '';
    expect(received.length).toBeGreaterThan(0);

    const requestSpan = (spans: readonly ReceivedSpan[]) =>
      spans.find(
        (sp) =>
          sp.service === 'federa-api' &&
          sp.name === 'POST /v1/chat/completions' &&
          sp.attributes['federa.request_id'] === requestId,
      );
    const spans = await receiver.waitFor((all) => {
      const root = requestSpan(all);
      return root !== undefined && EXPECTED.every((e) => has(inTrace(all, root.traceId), e));
    });
    const root = requestSpan(spans)!;
    const trace = inTrace(spans, root.traceId);
    for (const expected of EXPECTED)
      expect(trace.map((sp) => [sp.service, sp.name])).toContainEqual(expected);
    // the request span is the trace's root (the client sent no traceparent); every other span has a
    // parent inside the trace: one tree, not spans that merely share an id
    expect(root.parentSpanId).toBe('');
    const ids = new Set(trace.map((sp) => sp.spanId));
    for (const sp of trace.filter((x) => x !== root))
      expect(ids, `${sp.service}:${sp.name}`).toContain(sp.parentSpanId);
    expect(root.attributes).toMatchObject({ 'federa.model': TEST_MODEL, 'http.response.status_code': 200 });
    // the agent's span is a child of the API's call to it
    const apiAgent = trace.find((sp) => sp.service === 'federa-api' && sp.name === 'agent.chat')!;
    const agent = trace.find((sp) => sp.service === 'federa-worker' && sp.name === 'agent.chat')!;
    expect(agent.parentSpanId).toBe(apiAgent.spanId);
    expect(agent.attributes['federa.site_id']).toBe(sto);
    // metadata only: no prompt or completion text in any attribute of the trace
    const values = trace.flatMap((sp) => Object.values(sp.attributes).map(String));
    expect(values.some((v) => v.includes('lighthouse'))).toBe(false);
    expect(values.some((v) => received.length > 8 && v.includes(received.slice(0, 8)))).toBe(false);

    // the site received the trace: the traceparent of the agent's site span
    const site = trace.find((sp) => sp.service === 'federa-worker' && sp.name === 'site.chat')!;
    expect(fed.emulator(sto).traceparents()).toContain(`00-${root.traceId}-${site.spanId}-01`);

    // the API's log line of the request carries the trace id and the request id
    const logged = apiLines
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.request_id === requestId && l.trace_id === root.traceId);
    expect(logged).toMatchObject({ msg: 'request served', status: 200, span_id: root.spanId });
  });

  it('embeddings: one trace from the API through the agent to the site', async () => {
    const client = new OpenAI({
      apiKey: await fed.token('tenant', eu),
      baseURL: `${apiUrl}/v1`,
      maxRetries: 0,
    });
    const requestId = `traced-embed-${s}`;
    const answer = await client.embeddings.create(
      { model: TEST_EMBEDDING_MODEL, input: 'harbour lights', encoding_format: 'float' },
      { headers: { 'Idempotency-Key': requestId, 'X-Federa-Residency': 'SE' } },
    );
    expect(answer.data).toHaveLength(1);
    const expected: readonly (readonly [string, string])[] = [
      ['federa-api', 'POST /v1/embeddings'],
      ['federa-api', 'RunActivity:admitRequest'],
      ['federa-api', 'agent.embeddings'],
      ['federa-worker', 'agent.embeddings'],
      ['federa-worker', 'site.embeddings'],
      ['federa-api', 'federa.settle'],
    ];
    const requestSpan = (spans: readonly ReceivedSpan[]) =>
      spans.find(
        (sp) => sp.name === 'POST /v1/embeddings' && sp.attributes['federa.request_id'] === requestId,
      );
    const spans = await receiver.waitFor((all) => {
      const root = requestSpan(all);
      return root !== undefined && expected.every((e) => has(inTrace(all, root.traceId), e));
    });
    const trace = inTrace(spans, requestSpan(spans)!.traceId);
    const site = trace.find((sp) => sp.service === 'federa-worker' && sp.name === 'site.embeddings')!;
    expect(fed.emulator(sto).traceparents()).toContain(`00-${site.traceId}-${site.spanId}-01`);
    const values = trace.flatMap((sp) => Object.values(sp.attributes).map(String));
    expect(values.some((v) => v.includes('harbour'))).toBe(false);
  });
});
