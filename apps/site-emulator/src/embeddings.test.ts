/** Embeddings over real loopback HTTP through the official openai client. */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countTextTokens } from '@federa/tokenizer';
import { startSiteEmulator, type SiteEmulator, type UsageRecord } from './emulator';
import { embed } from './embeddings';

const norm = (v: readonly number[]) => Math.hypot(...v);

describe('site emulator embeddings', () => {
  let site: SiteEmulator;
  let client: OpenAI;
  beforeAll(async () => {
    site = await startSiteEmulator({
      siteId: 'emu-embed',
      jurisdiction: 'FR',
      models: ['m-small'],
      behaviour: { ttftMs: 1 },
    });
    client = new OpenAI({ baseURL: `${site.url}/v1`, apiKey: 'unused-by-the-emulator', maxRetries: 0 });
  });
  afterAll(async () => site.close());

  it('returns one unit-length vector of 256 dimensions per input, with usage in input tokens', async () => {
    const input = ['sovereign inference', 'a second, longer input about federated GPU sites'];
    const res = await client.embeddings.create({ model: 'federa-embed-1', input });
    expect(res.object).toBe('list');
    expect(res.model).toBe('federa-embed-1');
    expect(res.data.map((d) => d.index)).toEqual([0, 1]);
    for (const d of res.data) {
      expect(d.object).toBe('embedding');
      expect(d.embedding).toHaveLength(256);
      expect(norm(d.embedding)).toBeCloseTo(1, 5);
    }
    const tokens = countTextTokens(input[0]!) + countTextTokens(input[1]!);
    expect(res.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
    expect(site.stats().embeddingTokens).toBeGreaterThanOrEqual(tokens);
  });

  it('is deterministic per text, and different texts get different vectors', async () => {
    const a = await client.embeddings.create({ model: 'federa-embed-1', input: 'same text' });
    const b = await client.embeddings.create({ model: 'federa-embed-1', input: ['same text', 'other text'] });
    expect(b.data[0]!.embedding).toEqual(a.data[0]!.embedding);
    expect(b.data[1]!.embedding).not.toEqual(a.data[0]!.embedding);
  });

  it('sends the same vector as float or base64 (the client decodes base64 by default)', async () => {
    const floats = await client.embeddings.create({
      model: 'federa-embed-1',
      input: 'wire formats',
      encoding_format: 'float',
    });
    const decoded = await client.embeddings.create({ model: 'federa-embed-1', input: 'wire formats' });
    expect(decoded.data[0]!.embedding).toEqual(floats.data[0]!.embedding);
    const raw = await client.embeddings.create({
      model: 'federa-embed-1',
      input: 'wire formats',
      encoding_format: 'base64',
    });
    const bytes = Buffer.from(raw.data[0]!.embedding, 'base64');
    const fromBase64 = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
    expect(fromBase64).toEqual(floats.data[0]!.embedding);
  });

  it('shortens to `dimensions`: the normalised prefix of the full vector', async () => {
    const res = await client.embeddings.create({ model: 'federa-embed-1', input: 'short', dimensions: 64 });
    const short = res.data[0]!.embedding;
    expect(short).toHaveLength(64);
    expect(norm(short)).toBeCloseTo(1, 5);
    const full = embed('short', 256).slice(0, 64);
    const prefix = full.map((x) => x / norm(full));
    short.forEach((x, i) => expect(x).toBeCloseTo(prefix[i]!, 5));
  });

  it('meters an embedding by Idempotency-Key', async () => {
    const key = 'embed-key-1';
    await client.embeddings.create(
      { model: 'federa-embed-1', input: 'metered input' },
      { headers: { 'Idempotency-Key': key } },
    );
    const usage = (await (await fetch(`${site.url}/v1/usage/${key}`)).json()) as UsageRecord;
    expect(usage).toMatchObject({
      key,
      state: 'completed',
      prompt_tokens: countTextTokens('metered input'),
      completion_tokens: 0,
    });
  });

  it('refuses bad input the way OpenAI does, naming the parameter', async () => {
    const bad = async (body: Record<string, unknown>) => {
      const err = await client.embeddings
        .create({ model: 'federa-embed-1', input: 'x', ...body } as OpenAI.EmbeddingCreateParams)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      return err as InstanceType<typeof OpenAI.APIError>;
    };
    expect((await bad({ model: 'm-small' })).status).toBe(404); // a chat model does not embed
    expect(await bad({ input: [] })).toMatchObject({ status: 400, param: 'input' });
    expect(await bad({ input: [''] })).toMatchObject({ status: 400, param: 'input' });
    expect(await bad({ dimensions: 0 })).toMatchObject({ status: 400, param: 'dimensions' });
    expect(await bad({ encoding_format: 'int8' })).toMatchObject({ status: 400, param: 'encoding_format' });
    // and the embedding model does not chat
    const chat = await client.chat.completions
      .create({ model: 'federa-embed-1', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(chat).toMatchObject({ status: 404 });
  });
});
