/**
 * The API process's /metrics, as Prometheus sees it: the real API app (apps/api's main, spawned as
 * `npm start` runs it, FEDERA_METRICS_PORT=0) against the real stack, scraped over HTTP and parsed
 * with an exposition-format parser. Requests go through the official `openai` client (and tRPC's
 * inference.complete); each assertion is an exact delta between two scrapes.
 *
 * Only the spawned API polls the served-request queue (the test process runs no data plane), so
 * every reserve, post and routing decision of these requests is the spawned API's to count.
 */
import OpenAI from 'openai';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AgentLiveness } from '@federa/workflows';
import { spawnApi, type ApiProcess } from '../support/api-process';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { scrape, type Scrape } from '../support/metrics-scrape';
import { TEST_EMBEDDING_MODEL, TEST_MODEL, testTopology } from '../support/topology';

describe("the API process's metrics", () => {
  const s = uniqueSuffix();
  const eu = `${s}-eu`;
  const poor = `${s}-poor`;
  const par = `${s}-par`;
  let fed: Federation;
  let api: ApiProcess;
  let apiUrl: string;
  let metricsUrl: string;

  beforeAll(async () => {
    const topology = testTopology(s);
    // the EU tenant is of class 'enterprise'; the others keep the default, 'standard'
    topology.tenants = topology.tenants.map((t) => (t.id === eu ? { ...t, class: 'enterprise' } : t));
    fed = await startFederation(topology, { dataPlane: 'none' });
    api = spawnApi(fed);
    apiUrl = await api.ready;
    metricsUrl = await api.metricsUrl;
    const liveness = new AgentLiveness(fed.redis);
    while (!(await liveness.endpoints([par])).has(par)) await sleep(50);
  }, 120_000);
  afterAll(async () => {
    await api?.kill();
    await fed?.close();
  });

  const client = async (tenant: string) =>
    new OpenAI({ apiKey: await fed.token('tenant', tenant), baseURL: `${apiUrl}/v1`, maxRetries: 0 });
  // France has one site (Paris): every label of a served request is known in advance
  const inFrance = { headers: { 'X-Federa-Residency': 'FR' } };
  const delta = (before: Scrape, after: Scrape, name: string, labels: Record<string, string> = {}) =>
    after.value(name, labels) - before.value(name, labels);

  it('is served on loopback, in the exposition format, with the API families', async () => {
    expect(new URL(metricsUrl).hostname).toBe('127.0.0.1');
    const res = await fetch(metricsUrl);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const scraped = await scrape(metricsUrl);
    for (const family of [
      'federa_build_info',
      'federa_requests_total',
      'federa_request_added_latency_seconds',
      'federa_time_to_first_token_seconds',
      'federa_requests_in_flight',
      'federa_admission_queue_depth',
      'federa_admission_queued_bytes',
      'federa_tokens_total',
      'federa_ledger_operations_total',
      'federa_ledger_operation_duration_seconds',
      'federa_ledger_refusals_total',
      'federa_route_decisions_total',
      'federa_residency_refusals_total',
      'process_cpu_seconds_total',
    ])
      expect(scraped.names, family).toContain(family);
    expect(scraped.value('federa_build_info', { process: 'api' })).toBe(1);
    expect(scraped.value('federa_admission_queue_depth')).toBe(0);
  });

  it('served requests move requests, latency histograms, tokens, ledger operations and decisions by exactly their number', async () => {
    const openai = await client(eu);
    const messages = [{ role: 'user' as const, content: 'Count the sheep in the meadow, please.' }];
    const before = await scrape(metricsUrl);

    const plain = await openai.chat.completions.create(
      { model: TEST_MODEL, messages, max_tokens: 8 },
      inFrance,
    );
    const again = await openai.chat.completions.create(
      { model: TEST_MODEL, messages, max_tokens: 6 },
      inFrance,
    );
    const stream = await openai.chat.completions.create(
      { model: TEST_MODEL, messages, max_tokens: 8, stream: true, stream_options: { include_usage: true } },
      inFrance,
    );
    let streamed: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) if (chunk.usage) streamed = chunk.usage;
    const embedded = await openai.embeddings.create(
      { model: TEST_EMBEDDING_MODEL, input: ['bonjour', 'le monde'] },
      inFrance,
    );
    const trpc = await fetch(`${apiUrl}/trpc/inference.complete`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await fed.token('tenant', eu)}`,
      },
      body: JSON.stringify({
        requestId: `${s}-trpc`,
        model: TEST_MODEL,
        messages,
        max_tokens: 5,
        residency: ['FR'],
      }),
    });
    expect(trpc.status).toBe(200);
    const completed = (
      (await trpc.json()) as { result: { data: { usage: { inputTokens: number; outputTokens: number } } } }
    ).result.data;

    const after = await scrape(metricsUrl);
    const served = {
      model: TEST_MODEL,
      tenant_class: 'enterprise',
      site: par,
      jurisdiction: 'FR',
      code: 'OK',
    };
    expect(delta(before, after, 'federa_requests_total', { ...served, route: 'openai.chat' })).toBe(3);
    expect(
      delta(before, after, 'federa_requests_total', {
        ...served,
        model: TEST_EMBEDDING_MODEL,
        route: 'openai.embeddings',
      }),
    ).toBe(1);
    expect(
      delta(before, after, 'federa_requests_total', { ...served, route: 'trpc.inference.complete' }),
    ).toBe(1);
    expect(delta(before, after, 'federa_requests_total')).toBe(5);

    for (const [route, n] of [
      ['openai.chat', 3],
      ['openai.embeddings', 1],
      ['trpc.inference.complete', 1],
    ] as const) {
      expect(delta(before, after, 'federa_request_added_latency_seconds_count', { route }), route).toBe(n);
      expect(
        delta(before, after, 'federa_time_to_first_token_seconds_count', { route, site: par }),
        route,
      ).toBe(n);
      expect(after.value('federa_requests_in_flight', { route }), route).toBe(0);
    }

    // tokens: exactly what the clients were told they were billed
    const chatInput = plain.usage!.prompt_tokens + again.usage!.prompt_tokens + streamed!.prompt_tokens;
    const chatOutput =
      plain.usage!.completion_tokens + again.usage!.completion_tokens + streamed!.completion_tokens;
    const tokens = (direction: string, model: string) =>
      delta(before, after, 'federa_tokens_total', { direction, model, site: par });
    expect(tokens('input', TEST_MODEL)).toBe(chatInput + completed.usage.inputTokens);
    expect(tokens('output', TEST_MODEL)).toBe(chatOutput + completed.usage.outputTokens);
    expect(tokens('input', TEST_EMBEDDING_MODEL)).toBe(embedded.usage.prompt_tokens);
    expect(tokens('output', TEST_EMBEDDING_MODEL)).toBe(0);

    // one hold and one posted record each (the workflow's confirming post is a replay, counted apart)
    const ledger = (op: string, result: string) =>
      delta(before, after, 'federa_ledger_operations_total', { op, result });
    expect(ledger('reserve', 'ok')).toBe(5);
    expect(ledger('post', 'ok')).toBe(5);
    expect(delta(before, after, 'federa_ledger_operation_duration_seconds_count', { op: 'reserve' })).toBe(5);
    expect(delta(before, after, 'federa_route_decisions_total', { site: par, jurisdiction: 'FR' })).toBe(5);
    expect(delta(before, after, 'federa_route_decisions_total')).toBe(5);
  });

  it('a budget refusal is counted with its code, without a site, and as a ledger refusal', async () => {
    const openai = await client(poor);
    const before = await scrape(metricsUrl);
    const refused = await openai.chat.completions
      .create({ model: TEST_MODEL, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 64 })
      .catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    const after = await scrape(metricsUrl);
    expect(
      delta(before, after, 'federa_requests_total', {
        route: 'openai.chat',
        model: TEST_MODEL,
        tenant_class: 'standard',
        site: '',
        jurisdiction: '',
        code: 'BUDGET_EXCEEDED',
      }),
    ).toBe(1);
    expect(delta(before, after, 'federa_requests_total')).toBe(1);
    expect(
      delta(before, after, 'federa_ledger_refusals_total', { op: 'reserve', code: 'BUDGET_EXCEEDED' }),
    ).toBe(1);
    expect(delta(before, after, 'federa_ledger_operations_total', { op: 'reserve', result: 'refused' })).toBe(
      1,
    );
    expect(delta(before, after, 'federa_ledger_operations_total', { op: 'post' })).toBe(0);
    // refused before any agent was called: no added latency, no first token
    expect(delta(before, after, 'federa_request_added_latency_seconds_count')).toBe(0);
    expect(delta(before, after, 'federa_time_to_first_token_seconds_count')).toBe(0);
    expect(after.value('federa_requests_in_flight', { route: 'openai.chat' })).toBe(0);
  });

  it("a model the topology does not know is labelled 'unknown', and a widened residency is a residency refusal", async () => {
    const openai = await client(eu);
    const before = await scrape(metricsUrl);
    const unknown = await openai.chat.completions
      .create({ model: `made-up-${s}`, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4 })
      .catch((err: unknown) => err);
    expect((unknown as InstanceType<typeof OpenAI.APIError>).status).toBe(404);
    const widened = await openai.chat.completions
      .create(
        { model: TEST_MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4 },
        {
          headers: { 'X-Federa-Residency': 'US' },
        },
      )
      .catch((err: unknown) => err);
    expect((widened as InstanceType<typeof OpenAI.APIError>).status).toBe(403);
    const after = await scrape(metricsUrl);
    const refused = { route: 'openai.chat', tenant_class: 'enterprise', site: '', jurisdiction: '' };
    expect(
      delta(before, after, 'federa_requests_total', { ...refused, model: 'unknown', code: 'UNKNOWN_MODEL' }),
    ).toBe(1);
    expect(
      delta(before, after, 'federa_requests_total', {
        ...refused,
        model: TEST_MODEL,
        code: 'RESIDENCY_VIOLATION',
      }),
    ).toBe(1);
    // the client's made-up model name is in no series
    expect(
      after.samples('federa_requests_total').some((x) => Object.values(x.labels).includes(`made-up-${s}`)),
    ).toBe(false);
    expect(delta(before, after, 'federa_residency_refusals_total', { code: 'RESIDENCY_VIOLATION' })).toBe(1);
    expect(delta(before, after, 'federa_ledger_operations_total')).toBe(0);
  });

  it('a client that leaves mid-stream is counted once, as CLIENT_CLOSED_REQUEST, with the tokens it was billed', async () => {
    fed.emulator(par).configure({ completionTokens: 2_000, tokensPerSecond: 200 });
    const openai = await client(eu);
    const requestId = `${s}-leaves`;
    const before = await scrape(metricsUrl);
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      {
        model: TEST_MODEL,
        messages: [{ role: 'user', content: 'A long story.' }],
        max_tokens: 2_000,
        stream: true,
      },
      { headers: { ...inFrance.headers, 'Idempotency-Key': requestId }, signal: controller.signal },
    );
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) break; // leaves at the first piece
    controller.abort();
    // the usage record (what the client was billed), then the API's count of it
    const record = await vi.waitFor(
      async () => {
        const found = (await fed.ledger.listUsage(eu, { limit: 50 })).find((r) => r.requestId === requestId);
        if (!found) throw new Error('not recorded yet');
        return found;
      },
      { timeout: 30_000, interval: 100 },
    );
    const after = await vi.waitFor(
      async () => {
        const scraped = await scrape(metricsUrl);
        if (delta(before, scraped, 'federa_tokens_total', { direction: 'output' }) === 0)
          throw new Error('not billed yet');
        return scraped;
      },
      { timeout: 30_000, interval: 100 },
    );
    fed.emulator(par).configure({ completionTokens: 32, tokensPerSecond: 50_000 });
    const at = { route: 'openai.chat', site: par, jurisdiction: 'FR' };
    expect(delta(before, after, 'federa_requests_total', { ...at, code: 'CLIENT_CLOSED_REQUEST' })).toBe(1);
    expect(delta(before, after, 'federa_requests_total')).toBe(1);
    expect(after.value('federa_requests_in_flight', { route: 'openai.chat' })).toBe(0);
    expect(delta(before, after, 'federa_time_to_first_token_seconds_count', { route: 'openai.chat' })).toBe(
      1,
    );
    const tokens = (direction: string) =>
      delta(before, after, 'federa_tokens_total', { direction, site: par });
    expect(tokens('input')).toBe(record.inputTokens);
    expect(tokens('output')).toBe(record.outputTokens);
  });

  it('a failover counts a routing decision per site tried and labels the request with the site that served', async () => {
    // routing by price alone, so the order of the sites is fixed; the first one fails once
    const pinned = await fed.call(
      'policy.set',
      { weights: { latency: 0, load: 0, price: 1 }, preferHome: { mode: 'off', marginMs: 0 } },
      await fed.token('admin', 'metrics-api'),
    );
    expect(pinned.status).toBe(200);
    const explained = await fed.call(
      'routing.explain',
      { model: TEST_MODEL, residency: ['FR', 'SE'] },
      await fed.token('tenant', eu),
      { method: 'GET' },
    );
    const [first, second] = (
      explained.body as { result: { data: { candidates: { siteId: string; jurisdiction: string }[] } } }
    ).result.data.candidates;
    fed.emulator(first!.siteId).configure({ failNext: 1 });
    const openai = await client(eu);
    const before = await scrape(metricsUrl);
    const { response } = await openai.chat.completions
      .create(
        { model: TEST_MODEL, messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 8 },
        { headers: { 'X-Federa-Residency': 'FR,SE' } },
      )
      .withResponse();
    expect(response.headers.get('x-federa-site')).toBe(second!.siteId);
    const after = await scrape(metricsUrl);
    const decisions = (site: { siteId: string; jurisdiction: string }) =>
      delta(before, after, 'federa_route_decisions_total', {
        site: site.siteId,
        jurisdiction: site.jurisdiction,
      });
    expect(decisions(first!)).toBe(1);
    expect(decisions(second!)).toBe(1);
    expect(delta(before, after, 'federa_route_decisions_total')).toBe(2);
    expect(
      delta(before, after, 'federa_requests_total', {
        route: 'openai.chat',
        site: second!.siteId,
        jurisdiction: second!.jurisdiction,
        code: 'OK',
      }),
    ).toBe(1);
    expect(delta(before, after, 'federa_requests_total')).toBe(1);
    // Federa's added latency ends at the first dispatch: one sample, failover or not
    expect(delta(before, after, 'federa_request_added_latency_seconds_count', { route: 'openai.chat' })).toBe(
      1,
    );
    expect(delta(before, after, 'federa_ledger_operations_total', { op: 'reserve', result: 'ok' })).toBe(1);
    expect(delta(before, after, 'federa_ledger_operations_total', { op: 'post', result: 'ok' })).toBe(1);
  });
});
