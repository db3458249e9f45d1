/**
 * The stream a client reads, parsed by the official openai client's own SSE parser: what it yields
 * is what an application using the client would see.
 */
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { APIError } from 'openai';
import { Stream } from 'openai/streaming';
import type { ChatOutcome } from '../dataplane/types';
import { chatEvents, chatMeta } from './render-chat';
import { writeSse, type SseSink } from './sse';

/** Parse what was written, as the openai client parses a streamed response. */
async function readAsClient(sink: PassThrough): Promise<{ items: any[]; error?: APIError }> {
  const response = new Response(Readable.toWeb(sink) as ReadableStream<Uint8Array>, {
    headers: { 'content-type': 'text/event-stream' },
  });
  const items: any[] = [];
  try {
    for await (const item of Stream.fromSSEResponse<any>(response, new AbortController())) items.push(item);
  } catch (err) {
    if (err instanceof APIError) return { items, error: err };
    throw err;
  }
  return { items };
}

async function* from<T>(xs: readonly T[]): AsyncGenerator<T> {
  for (const x of xs) yield x;
}

const OUTCOME: ChatOutcome = {
  usage: { inputTokens: 12, outputTokens: 3 },
  finishReason: 'stop',
  federa: { charge: 42, currency: 'EUR', site: 's-par', jurisdiction: 'FR', recordId: '1-0', flags: [] },
};

const meta = chatMeta('req-1', 'llama-3.1-8b', 1_700_000_000_000);
const failWith = (err: unknown) => ({
  error: { message: String((err as Error).message), type: 'server_error', param: null, code: 'INTERNAL' },
});

async function streamed(
  deltas: AsyncIterable<string>,
  outcome: Promise<ChatOutcome>,
  includeUsage: boolean,
): Promise<{ items: any[]; error?: APIError; raw: string }> {
  const sink = new PassThrough();
  const raw: Buffer[] = [];
  sink.on('data', (b: Buffer) => raw.push(b));
  const reading = readAsClient(sink);
  await writeSse(sink, chatEvents({ deltas, outcome }, meta, includeUsage, failWith));
  const result = await reading;
  return { ...result, raw: Buffer.concat(raw).toString('utf8') };
}

describe('SSE writer and chat chunks', () => {
  it('streams the role, the deltas, the finish reason, then [DONE]; federa rides the last chunk', async () => {
    const { items, raw } = await streamed(from(['Hel', '', 'lo']), Promise.resolve(OUTCOME), false);
    expect(items.map((c) => c.object)).toEqual(Array(4).fill('chat.completion.chunk'));
    expect(items[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(items.slice(1, 3).map((c) => c.choices[0].delta.content)).toEqual(['Hel', 'lo']);
    expect(items[3].choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(items[3].federa).toEqual(OUTCOME.federa);
    expect(items.every((c) => c.id === 'chatcmpl-req-1' && c.model === 'llama-3.1-8b')).toBe(true);
    expect(items[0]).not.toHaveProperty('usage');
    expect(raw.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('with include_usage, ends with a usage chunk whose choices are empty', async () => {
    const ended = {
      ...OUTCOME,
      finishReason: 'length',
      federa: { ...OUTCOME.federa, code: 'BUDGET_EXCEEDED' },
    };
    const { items } = await streamed(from(['a']), Promise.resolve(ended), true);
    const last = items.at(-1);
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
    expect(last.federa).toMatchObject({ code: 'BUDGET_EXCEEDED', charge: 42 });
    expect(items.at(-2).choices[0].finish_reason).toBe('length');
    expect(items.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it('a failure after the first byte ends the stream with an error event, without [DONE]', async () => {
    async function* broken(): AsyncGenerator<string> {
      yield 'partial';
      throw new Error('site went away');
    }
    const outcome = Promise.reject(new Error('never reconciled'));
    const { items, error, raw } = await streamed(broken(), outcome, true);
    expect(items.map((c) => c.choices[0].delta.content)).toEqual(['', 'partial']);
    expect(error).toBeInstanceOf(APIError);
    expect(error!.code).toBe('INTERNAL');
    expect(raw).not.toContain('[DONE]');
  });

  it('a generation the data plane ended by failure is an error event with what was billed', async () => {
    const failed = { ...OUTCOME, federa: { ...OUTCOME.federa, code: 'SITE_FAILED_MID_STREAM' } };
    const { error, raw } = await streamed(from(['a', 'b']), Promise.resolve(failed), false);
    expect(error!.code).toBe('SITE_FAILED_MID_STREAM');
    expect(raw).toContain('"recordId":"1-0"');
    expect(raw).not.toContain('[DONE]');
  });

  it('waits for the socket to drain instead of buffering a slow reader', async () => {
    // a sink that takes one event at a time: every write reports a full buffer until drained
    const written: string[] = [];
    const listeners = new Map<string, () => void>();
    let waits = 0;
    const sink: SseSink = {
      destroyed: false,
      write(chunk) {
        written.push(chunk);
        return false;
      },
      end: () => undefined,
      once(event, listener) {
        if (event === 'drain') waits++;
        listeners.set(event, listener);
        if (event === 'drain') queueMicrotask(() => listeners.get('drain')?.());
      },
      off: (event) => listeners.delete(event),
    };
    let produced = 0;
    async function* counted(): AsyncGenerator<object> {
      for (let i = 0; i < 5; i++) {
        // the writer never asks for the next event while the previous one waits to drain
        expect(produced - waits).toBe(0);
        produced++;
        yield { i };
      }
    }
    expect(await writeSse(sink, counted())).toBe(true);
    expect(waits).toBe(5);
    expect(written.at(-1)).toBe('data: [DONE]\n\n');
  });

  it('stops, and ends the events it reads, when the client has gone', async () => {
    let closed = false;
    async function* endless(): AsyncGenerator<object> {
      try {
        for (let i = 0; ; i++) yield { i };
      } finally {
        closed = true;
      }
    }
    const sink = new PassThrough();
    let n = 0;
    sink.on('data', () => {
      if (++n === 3) sink.destroy();
    });
    expect(await writeSse(sink, endless())).toBe(false);
    expect(closed).toBe(true);
  });

  it('stops at once when the client leaves while the events wait on something that never comes', async () => {
    async function* parked(): AsyncGenerator<object> {
      yield { first: true };
      await new Promise(() => undefined); // e.g. an outcome that never settles
    }
    const sink = new PassThrough();
    sink.on('data', () => sink.destroy());
    expect(await writeSse(sink, parked())).toBe(false);
  });
});
