/** The emulator over real loopback HTTP: OpenAI-compatible shapes, streaming, and fault switches. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countChatTokens } from '@federa/tokenizer';
import { startSiteEmulator, type SiteEmulator } from './emulator';

const messages = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Name three sovereign clouds.' },
];

const CONTROL_TOKEN = 'emulator-control-token-for-tests';
const control = { authorization: `Bearer ${CONTROL_TOKEN}` };

describe('site emulator', () => {
  let site: SiteEmulator;
  beforeAll(async () => {
    site = await startSiteEmulator({
      siteId: 'emu-fr',
      jurisdiction: 'FR',
      models: ['m-small'],
      behaviour: { ttftMs: 1, tokensPerSecond: 100_000 },
      controlToken: CONTROL_TOKEN,
    });
  });
  afterAll(async () => site.close());

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${site.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('answers a chat completion with real token counts and says which site served it', async () => {
    const res = await post({ model: 'm-small', messages, max_tokens: 10 });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-federa-site')).toBe('emu-fr');
    expect(res.headers.get('server-timing')).toMatch(/^gen;dur=/);
    const body = (await res.json()) as any;
    expect(body.object).toBe('chat.completion');
    expect(body.system_fingerprint).toBe('federa-site-emu-fr');
    expect(body.usage.prompt_tokens).toBe(countChatTokens(messages));
    expect(body.usage.completion_tokens).toBe(10);
    expect(body.choices[0].finish_reason).toBe('length');
    expect(body.choices[0].message.content.length).toBeGreaterThan(0);
  });

  it('notes the W3C traceparent of the requests it received, in process, and not of probes', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const before = site.traceparents().length;
    expect((await post({ model: 'm-small', messages, max_tokens: 2 }, { traceparent })).status).toBe(200);
    await fetch(`${site.url}/health`, {
      headers: { traceparent: '00-ffffffffffffffffffffffffffffffff-0000000000000001-01' },
    });
    expect((await post({ model: 'm-small', messages, max_tokens: 2 })).status).toBe(200);
    expect(site.traceparents().slice(before)).toEqual([traceparent]);
  });

  it('keeps the body of the last request it received, in process (what a test site was asked)', async () => {
    expect(
      (await post({ model: 'm-small', messages, max_tokens: 3, seed: 9, temperature: 0.5 })).status,
    ).toBe(200);
    expect(site.lastRequest('chat')).toEqual({
      model: 'm-small',
      messages,
      max_tokens: 3,
      seed: 9,
      temperature: 0.5,
    });
  });

  it('streams server-sent events with usage when asked', async () => {
    const res = await post({
      model: 'm-small',
      messages,
      max_tokens: 20,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = (await res.text())
      .split('\n\n')
      .filter(Boolean)
      .map((e) => e.replace(/^data: /, ''));
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    const usage = chunks.at(-1).usage;
    expect(usage).toEqual({
      prompt_tokens: countChatTokens(messages),
      completion_tokens: 20,
      total_tokens: countChatTokens(messages) + 20,
    });
    expect(text.length).toBeGreaterThan(0);
    expect(chunks.filter((c) => c.choices[0]?.finish_reason).length).toBe(1);
  });

  it('omits usage from the stream unless include_usage is set', async () => {
    const res = await post({ model: 'm-small', messages, max_tokens: 5, stream: true });
    expect(await res.text()).not.toContain('"usage"');
  });

  it('lists its chat and embedding models and answers health', async () => {
    const models = (await (await fetch(`${site.url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toEqual(['m-small', 'federa-embed-1']);
    expect(await (await fetch(`${site.url}/health`)).json()).toMatchObject({ status: 'ok', site: 'emu-fr' });
  });

  it('rejects bad requests the way OpenAI does', async () => {
    expect((await post({ model: 'nope', messages, max_tokens: 5 })).status).toBe(404);
    expect((await post({ model: 'm-small', messages: [], max_tokens: 5 })).status).toBe(400);
    const res = await fetch(`${site.url}/v1/chat/completions`, { method: 'POST', body: '{oops' });
    expect(res.status).toBe(400);
  });

  it('injects faults: down resets connections, forced status and error rate answer 5xx', async () => {
    site.configure({ down: true });
    await expect(post({ model: 'm-small', messages, max_tokens: 5 })).rejects.toThrow();
    site.configure({ down: false, forceStatus: 500 });
    expect((await post({ model: 'm-small', messages, max_tokens: 5 })).status).toBe(500);
    site.configure({ forceStatus: 0, errorRate: 1 });
    expect((await post({ model: 'm-small', messages, max_tokens: 5 })).status).toBe(503);
    site.configure({ errorRate: 0 });
    expect((await post({ model: 'm-small', messages, max_tokens: 5 })).status).toBe(200);
  });

  it('is reconfigured over HTTP and counts repeated idempotency keys', async () => {
    const cfg = await fetch(`${site.url}/_emulator/config`, {
      method: 'POST',
      headers: control,
      body: JSON.stringify({ completionTokens: 3 }),
    });
    expect(((await cfg.json()) as { completionTokens: number }).completionTokens).toBe(3);
    const bad = await fetch(`${site.url}/_emulator/config`, {
      method: 'POST',
      headers: control,
      body: JSON.stringify({ warpDrive: true }),
    });
    expect(bad.status).toBe(400);
    const before = site.stats().duplicates;
    await post({ model: 'm-small', messages, max_tokens: 50 }, { 'idempotency-key': 'k1' });
    await post({ model: 'm-small', messages, max_tokens: 50 }, { 'idempotency-key': 'k1' });
    expect(site.stats().duplicates).toBe(before + 1);
    const stats = (await (await fetch(`${site.url}/_emulator/stats`, { headers: control })).json()) as {
      completions: number;
    };
    expect(stats.completions).toBe(site.stats().completions);
  });

  it('paces output by time to first token and throughput', async () => {
    site.configure({ ttftMs: 50, tokensPerSecond: 1000, completionTokens: 100 });
    const t0 = performance.now();
    await (await post({ model: 'm-small', messages, max_tokens: 100 })).json();
    // 50 ms to first token + 100 tokens at 1000/s = at least 150 ms
    expect(performance.now() - t0).toBeGreaterThanOrEqual(145);
    site.configure({ ttftMs: 1, tokensPerSecond: 100_000, completionTokens: 32 });
  });

  it('refuses its control endpoints without the control token, and changes nothing', async () => {
    const before = site.behaviour();
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong-token' },
      { authorization: CONTROL_TOKEN },
    ];
    for (const headers of attempts) {
      const stats = await fetch(`${site.url}/_emulator/stats`, { headers });
      expect(stats.status).toBe(401);
      expect(stats.headers.get('www-authenticate')).toBe('Bearer');
      const cfg = await fetch(`${site.url}/_emulator/config`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ down: true }),
      });
      expect(cfg.status).toBe(401);
    }
    expect(site.behaviour()).toEqual(before);
    expect((await fetch(`${site.url}/_emulator/stats`, { headers: control })).status).toBe(200);
  });
});

describe('site emulator idempotency keys', () => {
  it('remembers a bounded number of keys, least recently seen forgotten first', async () => {
    const site = await startSiteEmulator({
      siteId: 'emu-bounded',
      jurisdiction: 'FR',
      models: ['m-small'],
      behaviour: { ttftMs: 0, tokensPerSecond: 1_000_000, completionTokens: 1 },
      maxSeenKeys: 3,
    });
    try {
      const send = (key: string) =>
        fetch(`${site.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ model: 'm-small', messages, max_tokens: 1 }),
        }).then((r) => r.json());
      for (const key of ['k1', 'k2', 'k3', 'k4', 'k5']) await send(key);
      expect(site.stats().trackedKeys).toBe(3);
      await send('k5'); // still remembered: a duplicate
      expect(site.stats().duplicates).toBe(1);
      await send('k1'); // forgotten long ago: served as new
      expect(site.stats().duplicates).toBe(1);
      expect(site.stats().trackedKeys).toBe(3);
    } finally {
      await site.close();
    }
  });
});
