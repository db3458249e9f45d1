/**
 * Streams, disconnects and the usage meter over real loopback HTTP, driven by the official openai
 * client: a site stops generating when its client leaves, meters what it sent, and crashes or hangs
 * mid-stream when a test asks it to.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countChatTokens, countTextTokens } from '@federa/tokenizer';
import { startSiteEmulator, type SiteEmulator, type UsageRecord } from './emulator';

const messages = [{ role: 'user' as const, content: 'Stream me something long.' }];

describe('site emulator streams and usage meter', () => {
  let site: SiteEmulator;
  let client: OpenAI;
  let n = 0;
  const newKey = () => `stream-test-${++n}`;

  beforeAll(async () => {
    site = await startSiteEmulator({
      siteId: 'emu-stream',
      jurisdiction: 'DE',
      models: ['m-small'],
      behaviour: { ttftMs: 1, tokensPerSecond: 100_000 },
    });
    client = new OpenAI({ baseURL: `${site.url}/v1`, apiKey: 'unused-by-the-emulator', maxRetries: 0 });
  });
  afterAll(async () => site.close());

  const usageOf = async (key: string) => {
    const res = await fetch(`${site.url}/v1/usage/${encodeURIComponent(key)}`);
    return { status: res.status, body: (await res.json()) as UsageRecord };
  };
  /** polls the meter until the request is no longer generating (the test's timeout bounds it) */
  const settled = async (key: string) => {
    for (;;) {
      const { body } = await usageOf(key);
      if (body.state && body.state !== 'generating') return body;
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  it('streams with usage through the official client, and meters the request by key', async () => {
    const key = newKey();
    const stream = await client.chat.completions.create(
      { model: 'm-small', messages, max_tokens: 24, stream: true, stream_options: { include_usage: true } },
      { headers: { 'Idempotency-Key': key } },
    );
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish ??= chunk.choices[0]?.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(finish).toBe('length');
    expect(usage).toEqual({
      prompt_tokens: countChatTokens(messages),
      completion_tokens: 24,
      total_tokens: countChatTokens(messages) + 24,
    });
    expect(countTextTokens(text)).toBe(24);
    const { status, body } = await usageOf(key);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      key,
      state: 'completed',
      prompt_tokens: countChatTokens(messages),
      completion_tokens: 24,
    });
  });

  it('answers 404 for a key it has no usage for', async () => {
    const { status, body } = await usageOf('never-seen');
    expect(status).toBe(404);
    expect(body).toMatchObject({ error: { type: 'not_found' } });
  });

  it('shows tokens sent so far while generating, then meters a client that leaves as cancelled', async () => {
    const key = newKey();
    const before = site.stats();
    site.configure({ completionTokens: 1000, stallAfterTokens: 12 });
    const stream = await client.chat.completions.create(
      { model: 'm-small', messages, stream: true },
      { headers: { 'Idempotency-Key': key } },
    );
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (countTextTokens(text) === 12) break; // everything the hung site will send; leave
      expect(countTextTokens(text)).toBeLessThan(12);
    }
    const done = await settled(key);
    expect(done).toMatchObject({
      state: 'cancelled',
      prompt_tokens: countChatTokens(messages),
      completion_tokens: 12,
    });
    expect(site.stats().cancelled).toBe(before.cancelled + 1);
    expect(site.stats().completionTokens).toBe(before.completionTokens + 12);
    expect(site.behaviour().stallAfterTokens).toBe(0); // one-shot
    site.configure({ completionTokens: 32 });
  });

  it('while a hung stream is open, the meter says generating with the tokens sent', async () => {
    const key = newKey();
    site.configure({ completionTokens: 1000, stallAfterTokens: 8 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'm-small', messages, stream: true },
      { headers: { 'Idempotency-Key': key }, signal: controller.signal },
    );
    let text = '';
    const reading = (async () => {
      try {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      } catch {
        // aborted below
      }
    })();
    for (;;) {
      const { body } = await usageOf(key);
      if (body.completion_tokens === 8) {
        expect(body.state).toBe('generating');
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    controller.abort();
    await reading;
    expect(await settled(key)).toMatchObject({ state: 'cancelled', completion_tokens: 8 });
    expect(countTextTokens(text)).toBeLessThanOrEqual(8);
    site.configure({ completionTokens: 32 });
  });

  it('stops generating when the client disconnects mid-stream, metering what it sent', async () => {
    const key = newKey();
    const before = site.stats();
    // 100,000 tokens at 2,000 a second would take 50 s: only a stop on disconnect ends it sooner
    site.configure({ completionTokens: 100_000, tokensPerSecond: 2_000 });
    const stream = await client.chat.completions.create(
      { model: 'm-small', messages, stream: true },
      { headers: { 'Idempotency-Key': key } },
    );
    let received = '';
    let chunks = 0;
    for await (const chunk of stream) {
      received += chunk.choices[0]?.delta.content ?? '';
      if (++chunks === 5) break;
    }
    const done = await settled(key);
    expect(done.state).toBe('cancelled');
    expect(done.completion_tokens).toBeGreaterThanOrEqual(countTextTokens(received));
    // generous: whatever the site sent before noticing stays far below the full generation
    expect(done.completion_tokens).toBeLessThan(5_000);
    const after = site.stats();
    expect(after.cancelled).toBe(before.cancelled + 1);
    expect(after.completions).toBe(before.completions);
    // the site's own counter agrees with its meter: nothing was generated after the stop
    expect(after.completionTokens - before.completionTokens).toBe(done.completion_tokens);
    site.configure({ completionTokens: 32, tokensPerSecond: 100_000 });
  });

  it('cancels a plain completion whose client leaves during the wait', async () => {
    const key = newKey();
    const before = site.stats();
    site.configure({ ttftMs: 60_000 });
    const controller = new AbortController();
    const pending = client.chat.completions
      .create(
        { model: 'm-small', messages },
        { headers: { 'Idempotency-Key': key }, signal: controller.signal },
      )
      .catch((err: unknown) => err);
    for (;;) {
      if ((await usageOf(key)).body.state === 'generating') break;
      await new Promise((r) => setTimeout(r, 5));
    }
    controller.abort();
    expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
    expect(await settled(key)).toMatchObject({ state: 'cancelled', completion_tokens: 0 });
    expect(site.stats().cancelled).toBe(before.cancelled + 1);
    site.configure({ ttftMs: 1 });
  });

  it('crashes mid-stream once when failAfterTokens is set: that many tokens, then a broken connection', async () => {
    const key = newKey();
    const before = site.stats();
    site.configure({ completionTokens: 200, failAfterTokens: 10 });
    const stream = await client.chat.completions.create(
      { model: 'm-small', messages, stream: true },
      { headers: { 'Idempotency-Key': key } },
    );
    let text = '';
    let finish: string | null | undefined;
    const outcome = await (async () => {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      return 'ended';
    })().catch((err: unknown) => err);
    expect(outcome).toBeInstanceOf(Error);
    expect(finish).toBeUndefined();
    expect(countTextTokens(text)).toBe(10);
    expect(await usageOf(key)).toMatchObject({ body: { state: 'cancelled', completion_tokens: 10 } });
    expect(site.stats().errors).toBe(before.errors + 1);
    // one-shot: the next stream completes
    expect(site.behaviour().failAfterTokens).toBe(0);
    const next = await client.chat.completions.create({
      model: 'm-small',
      messages,
      max_tokens: 5,
      stream: true,
    });
    const reasons: (string | null | undefined)[] = [];
    for await (const chunk of next) reasons.push(chunk.choices[0]?.finish_reason);
    expect(reasons.at(-1)).toBe('length');
    site.configure({ completionTokens: 32 });
  });
  it('over- or under-reports output only when completionUsageInflation is set (chunk and meter)', async () => {
    site.configure({ completionUsageInflation: 3 });
    const key = newKey();
    const stream = await client.chat.completions.create(
      { model: 'm-small', messages, max_tokens: 8, stream: true, stream_options: { include_usage: true } },
      { headers: { 'Idempotency-Key': key } },
    );
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(countTextTokens(text)).toBe(8);
    expect(usage).toMatchObject({ prompt_tokens: countChatTokens(messages), completion_tokens: 24 });
    expect(await usageOf(key)).toMatchObject({ body: { state: 'completed', completion_tokens: 24 } });
    site.configure({ completionUsageInflation: 1 });
  });

  it('floods once when floodAfterTokens is set: that many tokens, then one endless event until the client leaves', async () => {
    const key = newKey();
    site.configure({ completionTokens: 200, floodAfterTokens: 4 });
    const res = await fetch(`${site.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ model: 'm-small', messages, stream: true }),
    });
    const reader = res.body!.getReader();
    let received = 0;
    let ended = false;
    while (!ended && received < 256 * 1024) {
      const { done, value } = await reader.read();
      received += value?.byteLength ?? 0;
      ended = done;
    }
    expect(ended).toBe(false); // the event never ends: only the client can stop it
    await reader.cancel();
    expect(await settled(key)).toMatchObject({ state: 'cancelled', completion_tokens: 4 });
    expect(site.behaviour().floodAfterTokens).toBe(0); // one-shot
    site.configure({ completionTokens: 32 });
  });
});
