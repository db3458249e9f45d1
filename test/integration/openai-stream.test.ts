/**
 * The /v1 chat and embeddings handlers with the official `openai` client on the real stack: API,
 * data plane, Temporal, Redis, site agents and emulators, no stand-in anywhere. What is proven here
 * is the surface's part: what the site is finally asked (messages normalised, sampling passed on),
 * OpenAI's shapes and headers, the stream's order, a client's disconnect reaching the site,
 * admission held until the stream ends, and errors before and after the first byte.
 */
import OpenAI, { APIError, RateLimitError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countChatTokens, countTextTokens } from '@federa/tokenizer';
import { siteIdempotencyKey } from '@federa/workflows';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_EMBEDDING_MODEL, TEST_MODEL, testTopology } from '../support/topology';

interface FederaTrailer {
  charge: number;
  currency: string;
  site: string;
  jurisdiction: string;
  recordId: string;
  flags: string[];
  code?: string;
}

describe('OpenAI-compatible chat and embeddings handlers', () => {
  const s = uniqueSuffix();
  const eu = `${s}-eu`;
  const par = `${s}-par`;
  let fed: Federation;
  let client: OpenAI;
  const clientOf = async (tenant: string) =>
    new OpenAI({ apiKey: await fed.token('tenant', tenant), baseURL: `${fed.api.url}/v1`, maxRetries: 0 });
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
  // what the site must receive: developer → system, text parts joined
  const normalised = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hello there' },
  ];
  // FR has one site: every chat of this suite is served by the Paris emulator
  const inFrance = (requestId: string) => ({
    headers: { 'Idempotency-Key': requestId, 'X-Federa-Residency': 'FR' },
  });
  const recordOf = async (tenant: string, requestId: string) => {
    const [record] = await fed.ledger.listUsage(tenant, { limit: 1 });
    expect(record?.requestId).toBe(requestId);
    return record!;
  };
  const meterOf = (requestId: string) =>
    fetch(`${fed.emulator(par).url}/v1/usage/${siteIdempotencyKey(eu, requestId)}`).then(
      (r) => r.json() as Promise<{ state: string; completion_tokens: number }>,
    );

  beforeAll(async () => {
    // one request at a time, no queue: a second one while a stream is open is refused at once
    fed = await startFederation(testTopology(s), { maxInFlight: 1, maxQueued: 0 });
    client = await clientOf(eu);
  });
  afterAll(async () => fed?.close());

  it('plain: the site gets the normalised request, the client one chat.completion with usage, federa and headers', async () => {
    const { data, response } = await client.chat.completions
      .create(
        { model: TEST_MODEL, messages, temperature: 0.2, top_p: 0.5, stop: 'END', seed: 7, user: 'u1' },
        inFrance(`${s}-plain`),
      )
      .withResponse();
    const promptTokens = countChatTokens(normalised);
    expect(data).toMatchObject({
      id: `chatcmpl-${s}-plain`,
      object: 'chat.completion',
      model: TEST_MODEL,
      choices: [{ index: 0, message: { role: 'assistant' }, finish_reason: 'stop' }],
      // no max_tokens: the site generates its natural length (32 tokens)
      usage: { prompt_tokens: promptTokens, completion_tokens: 32, total_tokens: promptTokens + 32 },
    });
    expect(countTextTokens(data.choices[0]!.message.content!)).toBe(32);
    const record = await recordOf(eu, `${s}-plain`);
    expect((data as unknown as { federa: FederaTrailer }).federa).toEqual({
      charge: record.retailCharge,
      currency: 'EUR',
      site: par,
      jurisdiction: 'FR',
      recordId: record.recordId,
      flags: [],
    });
    expect(response.headers.get('x-request-id')).toBe(`${s}-plain`);
    expect(response.headers.get('x-federa-site')).toBe(par);
    expect(response.headers.get('x-federa-jurisdiction')).toBe('FR');
    expect(response.headers.get('x-federa-policy-version')).toBe(String(record.policyVersion));
    const asked = fed.emulator(par).lastRequest('chat');
    expect(asked).toMatchObject({
      model: TEST_MODEL,
      messages: normalised,
      temperature: 0.2,
      top_p: 0.5,
      stop: ['END'],
      seed: 7,
      user: 'u1',
      stream: true,
    });
    // no max_tokens from the client: the site is asked for what the control plane granted
    expect(asked!.max_tokens).toBeGreaterThanOrEqual(32);
  });

  it('stream: role first, the deltas, finish reason, the usage chunk with federa, and [DONE]', async () => {
    const { data: stream, response } = await client.chat.completions
      .create(
        {
          model: TEST_MODEL,
          messages,
          max_completion_tokens: 3,
          stream: true,
          stream_options: { include_usage: true },
        },
        inFrance(`${s}-stream`),
      )
      .withResponse();
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('x-federa-jurisdiction')).toBe('FR');
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk); // ends only at [DONE]
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const text = chunks.flatMap((c) => c.choices.map((x) => x.delta.content ?? '')).join('');
    expect(countTextTokens(text)).toBe(3);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('length');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    const promptTokens = countChatTokens(normalised);
    expect(last.usage).toEqual({
      prompt_tokens: promptTokens,
      completion_tokens: 3,
      total_tokens: promptTokens + 3,
    });
    const record = await recordOf(eu, `${s}-stream`);
    expect((last as unknown as { federa: FederaTrailer }).federa).toMatchObject({
      recordId: record.recordId,
      charge: record.retailCharge,
    });
    expect(fed.emulator(par).lastRequest('chat')!.max_tokens).toBe(3);
  });

  it('a client that disconnects mid-stream stops the site, and frees its admission slot', async () => {
    fed.emulator(par).configure({ completionTokens: 2_000, tokensPerSecond: 200 });
    try {
      const stream = await client.chat.completions.create(
        { model: TEST_MODEL, messages, stream: true },
        inFrance(`${s}-cut`),
      );
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) break; // leaving the loop aborts the HTTP request
      }
      await expect.poll(async () => (await meterOf(`${s}-cut`)).state).toBe('cancelled');
      expect((await meterOf(`${s}-cut`)).completion_tokens).toBeLessThan(2_000);
      await expect.poll(() => fed.admission.stats.inFlight).toBe(0);
      await expect
        .poll(async () => (await fed.ledger.listUsage(eu, { limit: 1 }))[0]?.requestId)
        .toBe(`${s}-cut`);
      expect((await recordOf(eu, `${s}-cut`)).flags).toEqual(['CLIENT_DISCONNECT']);
    } finally {
      fed.emulator(par).configure({ completionTokens: 32, tokensPerSecond: 50_000 });
    }
  });

  it('holds the admission slot until the stream ends: a second request meanwhile is 429 with Retry-After', async () => {
    // the site sends one token, then hangs until its client leaves: the stream stays open
    fed.emulator(par).configure({ completionTokens: 2_000, stallAfterTokens: 1 });
    try {
      const stream = await client.chat.completions.create(
        { model: TEST_MODEL, messages, stream: true },
        inFrance(`${s}-held`),
      );
      const chunks = stream[Symbol.asyncIterator]();
      while (!(await chunks.next()).value?.choices[0]?.delta.content);
      const refused = await client.chat.completions
        .create({ model: TEST_MODEL, messages }, inFrance(`${s}-refused`))
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(RateLimitError);
      expect((refused as RateLimitError).code).toBe('OVERLOADED');
      expect((refused as RateLimitError).headers?.get('retry-after')).toBe('1');
      stream.controller.abort();
      await expect.poll(() => fed.admission.stats.inFlight).toBe(0);
    } finally {
      fed.emulator(par).configure({ completionTokens: 32, stallAfterTokens: 0 });
    }
    // the slot is free again
    const after = await client.chat.completions.create({ model: TEST_MODEL, messages, max_tokens: 4 });
    expect(after.choices[0]!.finish_reason).toBe('length');
  });

  it('a refusal before the first byte is an OpenAI error with its status and Retry-After', async () => {
    const poor = await clientOf(`${s}-poor`);
    const budget = await poor.chat.completions
      .create({ model: TEST_MODEL, messages, max_tokens: 64 })
      .catch((e: unknown) => e);
    expect(budget).toBeInstanceOf(APIError);
    expect((budget as APIError).status).toBe(402);
    expect((budget as APIError).code).toBe('BUDGET_EXCEEDED');
    expect((await fed.ledger.account(`${s}-poor`)).pending).toBe(0);

    // a token-rate limit the first request spends: the second is told when to come back
    const admin = await fed.token('admin', 'openai-stream');
    const limited = await fed.call(
      'budgets.set',
      { tenantId: `${s}-any`, budget: 10_000_000, tokensPerMinute: 60 },
      admin,
    );
    expect(limited.status).toBe(200);
    const any = await clientOf(`${s}-any`);
    // a hold of nearly the whole minute's tokens; the first request then spends prompt + 32 of them,
    // and the bucket refills 1 token a second: the second hold cannot fit for half a minute
    const maxTokens = 60 - countChatTokens(normalised) - 5;
    expect(maxTokens).toBeGreaterThan(32);
    await any.chat.completions.create({ model: TEST_MODEL, messages, max_tokens: maxTokens });
    const rate = await any.chat.completions
      .create({ model: TEST_MODEL, messages, max_tokens: maxTokens })
      .catch((e: unknown) => e);
    expect(rate).toBeInstanceOf(RateLimitError);
    expect((rate as APIError).code).toBe('RATE_LIMITED');
    expect(Number((rate as APIError).headers?.get('retry-after'))).toBeGreaterThan(0);

    // a residency with no site: refused before a stream opens
    const none = await client.chat.completions
      .create({ model: TEST_MODEL, messages, stream: true }, { headers: { 'X-Federa-Residency': 'IT' } })
      .catch((e: unknown) => e);
    expect((none as APIError).status).toBe(503);
    expect((none as APIError).code).toBe('NO_ELIGIBLE_SITE');
  });

  it('an internal failure (Redis refusing the reserve) says nothing internal, only a reference', async () => {
    // the France-only tenant's account is no longer a hash: the reserve script fails inside Redis
    const fr = `${s}-fr`;
    const account = `{t:${fr}}:acct`;
    expect(await fed.redis.type(account)).toBe('hash');
    await fed.redis.del(account);
    await fed.redis.set(account, 'not an account');
    const internal = (await (
      await clientOf(fr)
    ).chat.completions
      .create({ model: TEST_MODEL, messages })
      .catch((e: unknown) => e)) as APIError;
    expect(internal.status).toBe(500);
    expect(internal.code).toBe('INTERNAL');
    expect(internal.message).toMatch(/internal error \(reference [0-9a-f-]{36}\)/);
    expect(internal.message).not.toMatch(/redis|WRONGTYPE|acct|at /i);
  });

  it('a failure after the first byte ends the stream with an error event the client raises', async () => {
    fed.emulator(par).configure({ completionTokens: 200, failAfterTokens: 3 });
    try {
      const stream = await client.chat.completions.create(
        { model: TEST_MODEL, messages, stream: true },
        inFrance(`${s}-broken`),
      );
      const seen: string[] = [];
      const failure = await (async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
      })().catch((e: unknown) => e);
      expect(countTextTokens(seen.join(''))).toBe(3);
      expect(failure).toBeInstanceOf(APIError);
      expect((failure as APIError).code).toBe('SITE_FAILED_MID_STREAM');
      const record = await recordOf(eu, `${s}-broken`);
      expect(record.flags).toContain('SITE_FAILED_MID_STREAM');
      expect(record.outputTokens).toBe(3);
    } finally {
      fed.emulator(par).configure({ completionTokens: 32, failAfterTokens: 0 });
    }
  });

  it('embeddings: vectors as the client decodes them (base64 by default, or floats), usage and federa', async () => {
    const input = ['one', 'two'];
    const decoded = await client.embeddings.create(
      { model: TEST_EMBEDDING_MODEL, input },
      inFrance(`${s}-embed-b64`),
    );
    const { data: floats, response } = await client.embeddings
      .create({ model: TEST_EMBEDDING_MODEL, input, encoding_format: 'float' }, inFrance(`${s}-embed-f`))
      .withResponse();
    expect(decoded.data.map((d) => d.embedding.length)).toEqual([256, 256]);
    // base64 carries float32: the same vectors, rounded to float32
    expect(decoded.data.map((d) => d.embedding)).toEqual(
      floats.data.map((d) => d.embedding.map(Math.fround)),
    );
    const record = await recordOf(eu, `${s}-embed-f`);
    expect(floats.usage).toEqual({ prompt_tokens: record.inputTokens, total_tokens: record.inputTokens });
    const federa = (floats as unknown as { federa: FederaTrailer }).federa;
    expect(federa).toMatchObject({ recordId: record.recordId, site: par, charge: record.retailCharge });
    expect(response.headers.get('x-federa-site')).toBe(par);

    const short = await client.embeddings.create(
      { model: TEST_EMBEDDING_MODEL, input: 'one', encoding_format: 'float', dimensions: 3 },
      inFrance(`${s}-embed-3`),
    );
    expect(short.data[0]!.embedding).toHaveLength(3);
    expect(fed.emulator(par).lastRequest('embeddings')).toMatchObject({
      model: TEST_EMBEDDING_MODEL,
      input: ['one'],
      dimensions: 3,
    });
  });
});
