/** OpenAI's chat parameters over real loopback HTTP: n, sampling, stop sequences, output length. */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countTextTokens } from '@federa/tokenizer';
import { startSiteEmulator, type SiteEmulator } from './emulator';

const messages = [{ role: 'user' as const, content: 'Tell me about sovereign inference.' }];

describe('site emulator chat parameters', () => {
  let site: SiteEmulator;
  let client: OpenAI;
  beforeAll(async () => {
    site = await startSiteEmulator({
      siteId: 'emu-params',
      jurisdiction: 'DE',
      models: ['m-small'],
      behaviour: { ttftMs: 1, tokensPerSecond: 100_000, completionTokens: 40 },
    });
    client = new OpenAI({ baseURL: `${site.url}/v1`, apiKey: 'unused-by-the-emulator', maxRetries: 0 });
  });
  afterAll(async () => site.close());

  const text = async (params: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) => {
    const res = await client.chat.completions.create({ model: 'm-small', messages, ...params });
    return { content: res.choices[0]!.message.content ?? '', finish: res.choices[0]!.finish_reason, res };
  };

  it('generates completionTokens when no max_tokens is given, ending with stop', async () => {
    site.configure({ completionTokens: 300 });
    const { content, finish, res } = await text();
    expect(res.usage?.completion_tokens).toBe(300);
    expect(countTextTokens(content)).toBe(300);
    expect(finish).toBe('stop');
    site.configure({ completionTokens: 40 });
  });

  it('takes the tighter of max_tokens and max_completion_tokens', async () => {
    expect((await text({ max_completion_tokens: 7 })).res.usage?.completion_tokens).toBe(7);
    expect((await text({ max_completion_tokens: 7, max_tokens: 5 })).res.usage?.completion_tokens).toBe(5);
  });

  it('accepts sampling parameters and user, and stays deterministic per prompt', async () => {
    const plain = await text();
    const sampled = await text({ temperature: 1.3, top_p: 0.5, seed: 42, user: 'end-user-7', n: 1 });
    expect(sampled.content).toBe(plain.content);
    const other = await text({ messages: [{ role: 'user', content: 'Something else entirely.' }] });
    expect(other.content).not.toBe(plain.content);
  });

  it('refuses n other than 1, and out-of-range sampling, naming the parameter', async () => {
    const refused = async (params: Record<string, unknown>) => {
      const err = await text(params).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      return err as InstanceType<typeof OpenAI.BadRequestError>;
    };
    expect(await refused({ n: 2 })).toMatchObject({ status: 400, param: 'n', type: 'invalid_request_error' });
    expect(await refused({ temperature: 3 })).toMatchObject({ param: 'temperature' });
    expect(await refused({ top_p: -0.1 })).toMatchObject({ param: 'top_p' });
    expect(await refused({ seed: 1.5 })).toMatchObject({ param: 'seed' });
    expect(await refused({ stop: ['a', 'b', 'c', 'd', 'e'] })).toMatchObject({ param: 'stop' });
    expect(await refused({ max_tokens: 0 })).toMatchObject({ param: 'max_tokens' });
  });

  it('cuts the output before the first stop sequence, plain and streamed, with finish_reason stop', async () => {
    const full = (await text()).content;
    // a stop sequence that starts in the middle of a word, a third of the way in
    const at = Math.floor(full.length / 3);
    const stop = full.slice(at, at + 5);
    const expected = full.slice(0, full.indexOf(stop));

    const cut = await text({ stop: [stop, 'not in the output'] });
    expect(cut.content).toBe(expected);
    expect(cut.finish).toBe('stop');
    expect(cut.res.usage?.completion_tokens).toBe(countTextTokens(expected));

    const stream = await client.chat.completions.create({
      model: 'm-small',
      messages,
      stop,
      stream: true,
      stream_options: { include_usage: true },
    });
    let streamed = '';
    let deltaTokens = 0;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.content ?? '';
      streamed += delta;
      deltaTokens += countTextTokens(delta);
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(streamed).toBe(expected);
    expect(finish).toBe('stop');
    // a relay counting delta by delta and the site's usage agree exactly
    expect(deltaTokens).toBe(countTextTokens(expected));
    expect(usage?.completion_tokens).toBe(deltaTokens);
  });
});
