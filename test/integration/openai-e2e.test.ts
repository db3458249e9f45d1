/**
 * The front door as a new user meets it: the official `openai` client, unchanged, pointed at
 * Federa's /v1 with a tenant's API key, on the real stack (Temporal, Redis, site agents, emulators).
 */
import OpenAI, { APIError } from 'openai';
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
}

describe('the official openai client against Federa', () => {
  const s = uniqueSuffix();
  const eu = `${s}-eu`;
  let fed: Federation;
  let client: OpenAI;
  let secret: string;
  const clientFor = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${fed.api.url}/v1`, maxRetries: 0 });
  const messages = [{ role: 'user' as const, content: 'Summarise the federation in one sentence.' }];

  beforeAll(async () => {
    fed = await startFederation(testTopology(s));
    const created = await fed.call('keys.create', { name: 'e2e' }, await fed.token('tenant', eu));
    expect(created.status).toBe(200);
    secret = created.body.result.data.secret as string;
    expect(secret).toMatch(/^fed_/);
    client = clientFor(secret);
  });
  afterAll(async () => fed?.close());

  it('answers a plain completion with usage, the Federa trailer and the routing headers', async () => {
    const { data, response } = await client.chat.completions
      .create(
        { model: TEST_MODEL, messages, max_tokens: 24 },
        { headers: { 'Idempotency-Key': 'e2e-plain' } },
      )
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices[0]!.message.content!.length).toBeGreaterThan(10);
    expect(data.usage!.completion_tokens).toBe(24);
    const federa = (data as unknown as { federa: FederaTrailer }).federa;
    expect(response.headers.get('x-request-id')).toBe('e2e-plain');
    expect(response.headers.get('x-federa-site')).toBe(federa.site);
    expect(response.headers.get('x-federa-jurisdiction')).toBe(federa.jurisdiction);
    expect(['FR', 'DE', 'SE']).toContain(federa.jurisdiction);
    const [record] = await fed.ledger.listUsage(eu, { limit: 1 });
    expect(record).toMatchObject({
      requestId: 'e2e-plain',
      recordId: federa.recordId,
      retailCharge: federa.charge,
    });
    expect(record!.apiKeyId).toMatch(/^key_/);
  });

  it('streams with include_usage: content deltas, then usage, then [DONE]', async () => {
    const stream = await client.chat.completions.create({
      model: TEST_MODEL,
      messages,
      max_tokens: 32,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null = null;
    let trailer: FederaTrailer | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
      trailer = (chunk as unknown as { federa?: FederaTrailer }).federa ?? trailer;
    }
    expect(text.length).toBeGreaterThan(20);
    expect(finish).toBe('stop');
    expect(usage!.completion_tokens).toBe(32);
    expect(trailer!.recordId).toMatch(/^\d+-\d+$/);
  });

  it('serves embeddings, billed by input tokens', async () => {
    const res = await client.embeddings.create({
      model: TEST_EMBEDDING_MODEL,
      input: ['bonjour', 'hallo welt'],
    });
    expect(res.data).toHaveLength(2);
    expect(res.data[0]!.embedding.length).toBe(256);
    expect(res.usage.prompt_tokens).toBeGreaterThan(1);
    const [record] = await fed.ledger.listUsage(eu, { limit: 1 });
    expect(record).toMatchObject({
      model: TEST_EMBEDDING_MODEL,
      inputTokens: res.usage.prompt_tokens,
      outputTokens: 0,
    });
  });

  it("keeps a key's requests inside its residency", async () => {
    const created = await fed.call(
      'keys.create',
      { name: 'germany only', residency: ['DE'] },
      await fed.token('tenant', eu),
    );
    const german = clientFor(created.body.result.data.secret as string);
    const { response } = await german.chat.completions
      .create({ model: TEST_MODEL, messages, max_tokens: 8 })
      .withResponse();
    expect(response.headers.get('x-federa-jurisdiction')).toBe('DE');
    const refused = await german.chat.completions
      .create({ model: TEST_MODEL, messages, max_tokens: 8 }, { headers: { 'X-Federa-Residency': 'FR' } })
      .catch((e: unknown) => e as APIError);
    expect(refused).toBeInstanceOf(APIError);
    expect((refused as APIError).status).toBe(403);
  });

  it("refuses with 402 once the key's own budget is spent, while the tenant still has room", async () => {
    const created = await fed.call('keys.create', { name: 'tiny', budget: 1 }, await fed.token('tenant', eu));
    const tiny = clientFor(created.body.result.data.secret as string);
    const usageBefore = await fed.ledger.usageCount(eu);
    const refused = await tiny.chat.completions
      .create({ model: TEST_MODEL, messages, max_tokens: 8 })
      .catch((e: unknown) => e as APIError);
    expect((refused as APIError).status).toBe(402);
    expect((refused as APIError).code).toBe('KEY_BUDGET_EXCEEDED');
    expect(await fed.ledger.usageCount(eu)).toBe(usageBefore);
    expect((await fed.ledger.account(eu)).pending).toBe(0);
  });

  it('bills input + delivered when the client cuts the stream: no less than it received, no more than the site made', async () => {
    for (const e of fed.emulators.values()) e.configure({ completionTokens: 3_000, tokensPerSecond: 500 });
    let received = '';
    try {
      const stream = await client.chat.completions.create(
        { model: TEST_MODEL, messages, max_tokens: 3_000, stream: true },
        { headers: { 'Idempotency-Key': 'e2e-cut' } },
      );
      let pieces = 0;
      for await (const chunk of stream) {
        received += chunk.choices[0]?.delta.content ?? '';
        if (chunk.choices[0]?.delta.content) pieces++;
        if (pieces === 5) stream.controller.abort();
      }
    } catch {
      // the client's own abort ends its iteration
    }
    await expect
      .poll(async () => (await fed.ledger.listUsage(eu, { limit: 1 }))[0]?.requestId, { timeout: 15_000 })
      .toBe('e2e-cut');
    const [record] = await fed.ledger.listUsage(eu, { limit: 1 });
    expect(record!.flags).toContain('CLIENT_DISCONNECT');
    const site = record!.siteId;
    // the site saw the disconnect and stopped: its own meter says cancelled, far short of 3,000
    const meterOf = () =>
      fetch(`${fed.emulator(site).url}/v1/usage/${siteIdempotencyKey(eu, 'e2e-cut')}`).then(
        (r) => r.json() as Promise<{ state: string; completion_tokens: number }>,
      );
    await expect.poll(async () => (await meterOf()).state).toBe('cancelled');
    const meter = await meterOf();
    // input as counted at the edge; output: at least what reached the client, at most what the site made
    expect(record!.inputTokens).toBe(countChatTokens(messages));
    expect(record!.outputTokens).toBeGreaterThanOrEqual(countTextTokens(received) - 1);
    expect(record!.outputTokens).toBeLessThanOrEqual(meter.completion_tokens);
    expect(meter.completion_tokens).toBeLessThan(3_000);
    for (const e of fed.emulators.values()) e.configure({ completionTokens: 32, tokensPerSecond: 50_000 });
  });
});
