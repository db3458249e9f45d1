/**
 * The /v1 chat and embeddings handlers over real HTTP with the official `openai` client, in front
 * of a scripted data plane (a stand-in implementing apps/api/src/dataplane/types.ts: the real one,
 * with its end-to-end tests, lands separately). What is proven here is the surface's part: the
 * request handed to the data plane, OpenAI's shapes and headers, the stream's order, a client's
 * disconnect reaching the data plane's AbortSignal, admission held until the stream ends, and
 * errors before and after the first byte. Real Redis, Temporal client, API server and auth.
 */
import OpenAI, { APIError, RateLimitError } from 'openai';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admission, AuditLog, startApiServer, type ApiServer } from '@federa/api';
import { createVerifier } from '@federa/auth';
import { FederaError } from '@federa/domain';
import { Observations, SiteHealth } from '@federa/workflows';
import type {
  ChatOutcome,
  ChatServeRequest,
  ChatStream,
  DataPlane,
  EmbeddingsResult,
  EmbeddingsServeRequest,
} from '../../apps/api/src/dataplane/types';
import { AUDIENCE, ISSUER, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';

type Script = (req: ChatServeRequest) => Promise<ChatStream>;

/** A data plane that records what it was asked and answers as the running test scripts it. */
class ScriptedDataPlane implements DataPlane {
  readonly chats: ChatServeRequest[] = [];
  readonly embeddings: EmbeddingsServeRequest[] = [];
  script: Script = () => Promise.reject(new Error('no script'));

  serveChat(req: ChatServeRequest): Promise<ChatStream> {
    this.chats.push(req);
    return this.script(req);
  }

  serveEmbeddings(req: EmbeddingsServeRequest): Promise<EmbeddingsResult> {
    this.embeddings.push(req);
    return Promise.resolve({
      admission: admitted(req.requestId),
      // float32-exact values: base64 round trips them unchanged
      vectors: req.input.map((_, i) => [i + 0.5, -0.25, 2]),
      usage: { inputTokens: 7 },
      federa: { ...FEDERA, recordId: '9-0' },
    });
  }
}

const admitted = (requestId: string) => ({
  requestId,
  siteId: 'site-par',
  operatorId: 'op-rhein',
  jurisdiction: 'FR',
  policyVersion: 3,
});
const FEDERA = {
  charge: 120,
  currency: 'EUR',
  site: 'site-par',
  jurisdiction: 'FR',
  recordId: '1-0',
  flags: [],
};
const outcome = (extra: Partial<ChatOutcome> = {}): ChatOutcome => ({
  usage: { inputTokens: 11, outputTokens: 2 },
  finishReason: 'stop',
  federa: FEDERA,
  ...extra,
});

/** Waits for a condition the server reaches on its own (bounded by the test's timeout). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function* pieces(xs: readonly string[]): AsyncGenerator<string> {
  for (const x of xs) yield x;
}

/** Deltas that stop only when the request's signal aborts (the client left). */
function untilAborted(signal: AbortSignal, aborted: () => void): AsyncGenerator<string> {
  return (async function* () {
    yield 'first';
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    aborted();
  })();
}

describe('OpenAI-compatible chat and embeddings handlers', () => {
  const s = uniqueSuffix();
  let fed: Federation;
  let api: ApiServer;
  let client: OpenAI;
  const plane = new ScriptedDataPlane();
  // one request at a time, no queue: a second one while a stream is open is refused at once
  const admission = new Admission(1, 0);
  const messages = [
    { role: 'developer' as const, content: 'Be brief.' },
    {
      role: 'user' as const,
      content: [
        { type: 'text' as const, text: 'Hello ' },
        { type: 'text' as const, text: 'there' },
      ],
    },
  ];

  beforeAll(async () => {
    fed = await startFederation(testTopology(s), { workers: 'none' });
    api = await startApiServer({
      temporal: fed.temporal,
      ledger: fed.ledger,
      topology: () => fed.registry.snapshot(),
      registry: fed.registry,
      observations: new Observations(fed.redis),
      health: new SiteHealth(fed.redis),
      controlTaskQueue: fed.controlTaskQueue,
      verify: createVerifier({
        jwks: { keys: [fed.signingKey.publicJwk] },
        issuer: ISSUER,
        audience: AUDIENCE,
      }),
      log: pino({ level: 'silent' }),
      admission,
      audit: new AuditLog(fed.redis),
      dataPlane: plane,
      settlement: {
        store: fed.settlementStore,
        jwks: { keys: [fed.clearingKey.publicJwk] },
        config: fed.settlementConfig,
        namespace: fed.topology.topology.name,
      },
    });
    client = new OpenAI({
      apiKey: await fed.token('tenant', `${s}-eu`),
      baseURL: `${api.url}/v1`,
      maxRetries: 0,
    });
  });
  afterAll(async () => {
    await api?.close();
    await fed?.close();
  });

  it('plain: hands the data plane the request, answers one chat.completion with usage, federa and headers', async () => {
    plane.script = (req) =>
      Promise.resolve({
        admission: admitted(req.requestId),
        deltas: pieces(['Hi', ' you']),
        outcome: Promise.resolve(outcome()),
      });
    const { data, response } = await client.chat.completions
      .create(
        { model: TEST_MODEL, messages, temperature: 0.2, top_p: 0.5, stop: 'END', seed: 7, user: 'u1' },
        { headers: { 'Idempotency-Key': `${s}-plain`, 'X-Federa-Residency': 'FR' } },
      )
      .withResponse();
    expect(data).toMatchObject({
      id: `chatcmpl-${s}-plain`,
      object: 'chat.completion',
      model: TEST_MODEL,
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi you' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 },
    });
    expect((data as unknown as { federa: unknown }).federa).toEqual(FEDERA);
    expect(response.headers.get('x-request-id')).toBe(`${s}-plain`);
    expect(response.headers.get('x-federa-site')).toBe('site-par');
    expect(response.headers.get('x-federa-jurisdiction')).toBe('FR');
    expect(response.headers.get('x-federa-policy-version')).toBe('3');
    const served = plane.chats.at(-1)!;
    expect(served).toMatchObject({
      tenantId: `${s}-eu`,
      requestId: `${s}-plain`,
      model: TEST_MODEL,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello there' },
      ],
      residency: ['FR'],
      sampling: { temperature: 0.2, top_p: 0.5, stop: ['END'], seed: 7, user: 'u1' },
    });
    // no max_tokens: the data plane grants quota in slices
    expect(served.maxTokens).toBeUndefined();
  });

  it('stream: role first, the deltas, finish reason, the usage chunk with federa, and [DONE]', async () => {
    plane.script = (req) =>
      Promise.resolve({
        admission: admitted(req.requestId),
        deltas: pieces(['A', 'B', 'C']),
        outcome: Promise.resolve(
          outcome({ finishReason: 'length', federa: { ...FEDERA, code: 'BUDGET_EXCEEDED' } }),
        ),
      });
    const { data: stream, response } = await client.chat.completions
      .create({
        model: TEST_MODEL,
        messages,
        max_completion_tokens: 3,
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('x-federa-jurisdiction')).toBe('FR');
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.flatMap((c) => c.choices.map((x) => x.delta.content ?? '')).join('')).toBe('ABC');
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('length');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 });
    expect((last as unknown as { federa: { code: string } }).federa.code).toBe('BUDGET_EXCEEDED');
    expect(plane.chats.at(-1)!.maxTokens).toBe(3);
  });

  it("a client that disconnects mid-stream aborts the data plane's signal", async () => {
    let reportAborted!: () => void;
    const aborted = new Promise<void>((resolve) => (reportAborted = resolve));
    plane.script = (req) =>
      Promise.resolve({
        admission: admitted(req.requestId),
        deltas: untilAborted(req.signal, reportAborted),
        outcome: new Promise<ChatOutcome>(() => undefined),
      });
    const stream = await client.chat.completions.create({ model: TEST_MODEL, messages, stream: true });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content === 'first') break; // leaving the loop aborts the HTTP request
    }
    await aborted;
    expect(plane.chats.at(-1)!.signal.aborted).toBe(true);
    // the slot is freed without waiting for an outcome (this one never settles)
    await until(() => admission.stats.inFlight === 0);
  });

  it('holds the admission slot until the stream ends: a second request meanwhile is 429 with Retry-After', async () => {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    async function* held(): AsyncGenerator<string> {
      yield 'x';
      await finished;
    }
    plane.script = (req) =>
      Promise.resolve({
        admission: admitted(req.requestId),
        deltas: held(),
        outcome: Promise.resolve(outcome()),
      });
    const stream = await client.chat.completions.create({ model: TEST_MODEL, messages, stream: true });
    const reading = (async () => {
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      return text;
    })();
    const refused = await client.chat.completions
      .create({ model: TEST_MODEL, messages })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimitError);
    expect((refused as RateLimitError).code).toBe('OVERLOADED');
    expect((refused as RateLimitError).headers?.get('retry-after')).toBe('1');
    finish();
    expect(await reading).toBe('x');
  });

  it('a refusal before the first byte is an OpenAI error with its status and Retry-After', async () => {
    plane.script = () =>
      Promise.reject(new FederaError('BUDGET_EXCEEDED', 'the budget is spent', { retryAfterMs: 30_000 }));
    const budget = await client.chat.completions
      .create({ model: TEST_MODEL, messages })
      .catch((e: unknown) => e);
    expect(budget).toBeInstanceOf(APIError);
    expect((budget as APIError).status).toBe(402);
    expect((budget as APIError).code).toBe('BUDGET_EXCEEDED');
    expect((budget as APIError).headers?.get('retry-after')).toBe('30');
    plane.script = () => Promise.reject(new FederaError('NO_ELIGIBLE_SITE', 'no site may serve it'));
    const none = await client.chat.completions
      .create({ model: TEST_MODEL, messages, stream: true })
      .catch((e: unknown) => e);
    expect((none as APIError).status).toBe(503);
    plane.script = () => Promise.reject(new Error('ECONNREFUSED redis 10.1.2.3:6379'));
    const internal = (await client.chat.completions
      .create({ model: TEST_MODEL, messages })
      .catch((e: unknown) => e)) as APIError;
    expect(internal.status).toBe(500);
    expect(internal.message).toMatch(/internal error \(reference [0-9a-f-]{36}\)/);
    expect(internal.message).not.toContain('redis');
  });

  it('a failure after the first byte ends the stream with an error event the client raises', async () => {
    plane.script = (req) =>
      Promise.resolve({
        admission: admitted(req.requestId),
        deltas: pieces(['partial']),
        outcome: Promise.resolve(outcome({ federa: { ...FEDERA, code: 'SITE_FAILED_MID_STREAM' } })),
      });
    const stream = await client.chat.completions.create({ model: TEST_MODEL, messages, stream: true });
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    expect(seen).toContain('partial');
    expect(failure).toBeInstanceOf(APIError);
    expect((failure as APIError).code).toBe('SITE_FAILED_MID_STREAM');
  });

  it('embeddings: vectors as the client decodes them (base64 by default, or floats), usage and federa', async () => {
    const decoded = await client.embeddings.create({ model: TEST_MODEL, input: ['one', 'two'] });
    expect(decoded.data.map((d) => d.embedding)).toEqual([
      [0.5, -0.25, 2],
      [1.5, -0.25, 2],
    ]);
    expect(decoded.usage).toEqual({ prompt_tokens: 7, total_tokens: 7 });
    const { data: floats, response } = await client.embeddings
      .create({ model: TEST_MODEL, input: 'one', encoding_format: 'float', dimensions: 3 })
      .withResponse();
    expect(floats.data[0]!.embedding).toEqual([0.5, -0.25, 2]);
    expect((floats as unknown as { federa: { recordId: string } }).federa.recordId).toBe('9-0');
    expect(response.headers.get('x-federa-site')).toBe('site-par');
    expect(plane.embeddings.at(-1)).toMatchObject({ input: ['one'], dimensions: 3, model: TEST_MODEL });
  });
});
