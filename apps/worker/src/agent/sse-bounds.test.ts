import { describe, expect, it } from 'vitest';
import { SiteStreamTooLarge, boundedSse, maxStreamBytes } from './sse-bounds';

const encode = (s: string) => new TextEncoder().encode(s);

/** Pipes the chunks through the bounds; the text that came out, or the error that stopped it. */
async function through(
  chunks: readonly string[],
  opts: Parameters<typeof boundedSse>[0],
): Promise<{ text: string; error?: unknown }> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(encode(c));
      controller.close();
    },
  });
  let text = '';
  try {
    for await (const piece of source.pipeThrough(boundedSse(opts)).pipeThrough(new TextDecoderStream()))
      text += piece;
    return { text };
  } catch (error) {
    return { text, error };
  }
}

describe('byte bounds on a site SSE stream', () => {
  it('sizes the whole stream from the grant', () => {
    expect(maxStreamBytes(0)).toBe(1024 * 1024);
    expect(maxStreamBytes(4_096)).toBe(1024 * 1024 + 4_096 * 1024);
  });

  it('passes a stream within both bounds unchanged, events split anywhere across chunks', async () => {
    const stream = ['data: {"a":1}\n', '\ndata: {"b"', ':2}\r\n\r\ndata: [DONE]\n\n'];
    const out = await through(stream, { maxTotalBytes: () => 1_000, maxEventBytes: 16 });
    expect(out.error).toBeUndefined();
    expect(out.text).toBe(stream.join(''));
  });

  it('stops an endless line at the event bound', async () => {
    const out = await through(['data: ', 'x'.repeat(40), 'y'.repeat(40)], {
      maxTotalBytes: () => 1_000_000,
      maxEventBytes: 64,
    });
    expect(out.error).toBeInstanceOf(SiteStreamTooLarge);
    expect((out.error as SiteStreamTooLarge).bound).toBe('event');
    expect(out.text).toBe(`data: ${'x'.repeat(40)}`);
  });

  it('counts an event of many lines as one (only a blank line ends it)', async () => {
    const out = await through(['data: 1234\n'.repeat(10)], {
      maxTotalBytes: () => 1_000_000,
      maxEventBytes: 64,
    });
    expect((out.error as SiteStreamTooLarge).bound).toBe('event');
    const ok = await through(['data: 1234\n\n'.repeat(10)], {
      maxTotalBytes: () => 1_000_000,
      maxEventBytes: 64,
    });
    expect(ok.error).toBeUndefined();
  });

  it('stops a stream of small events at the total bound, read at every chunk', async () => {
    let grant = 100;
    const events = Array.from({ length: 20 }, () => 'data: {}\n\n'); // 10 bytes each
    const out = await through(events, { maxTotalBytes: () => grant, maxEventBytes: 64 });
    expect((out.error as SiteStreamTooLarge).bound).toBe('total');
    expect(out.text).toBe(events.slice(0, 10).join(''));
    grant = 200; // an extended grant extends the bound
    expect((await through(events, { maxTotalBytes: () => grant })).error).toBeUndefined();
  });
});
