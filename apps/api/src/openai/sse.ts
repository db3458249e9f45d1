/**
 * Server-sent events as OpenAI streams them: each event one `data: <json>` line and a blank line,
 * the stream closed by `data: [DONE]`. Written with backpressure: when the socket's buffer is full
 * the writer waits for it to drain, so a slow reader slows the generation it reads instead of
 * piling the completion up in the API's memory.
 */

/** What the writer needs of a response (a ServerResponse, or any Writable). */
export interface SseSink {
  write(chunk: string): boolean;
  end(): unknown;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
  readonly destroyed: boolean;
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  // proxies such as nginx must not buffer the stream
  'x-accel-buffering': 'no',
} as const;

export const DONE = '[DONE]';

export function sseEvent(data: unknown): string {
  return `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

/** Resolves when the sink can take more, or when it closed (the caller then stops). */
function drained(sink: SseSink): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      sink.off('drain', done);
      sink.off('close', done);
      resolve();
    };
    sink.once('drain', done);
    sink.once('close', done);
  });
}

const CLOSED = Symbol('closed');

/** Resolves with CLOSED once the sink closes; `cancel` forgets the listener. */
function closing(sink: SseSink): { readonly closed: Promise<typeof CLOSED>; cancel(): void } {
  let listener: () => void = () => undefined;
  const closed = new Promise<typeof CLOSED>((resolve) => {
    listener = () => resolve(CLOSED);
    if (sink.destroyed) resolve(CLOSED);
    else sink.once('close', listener);
  });
  return { closed, cancel: () => sink.off('close', listener) };
}

/**
 * Write every event, then `[DONE]` unless the events ended with an error event (OpenAI's streams end
 * without `[DONE]` after an error). When the client goes away it stops at once, even while waiting
 * for the next event, and ends the events' iterator (without waiting for it: the caller learns of
 * the disconnect through its own abort signal). Returns whether the stream was written whole.
 */
export async function writeSse(sink: SseSink, events: AsyncIterable<unknown>): Promise<boolean> {
  const iterator = events[Symbol.asyncIterator]();
  const watch = closing(sink);
  let endedWithError = false;
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), watch.closed]);
      if (next === CLOSED) {
        // the producer may be parked on an await; its return() settles once that resolves
        void Promise.resolve(iterator.return?.()).catch(() => undefined);
        return false;
      }
      if (next.done) break;
      const event = next.value;
      endedWithError = typeof event === 'object' && event !== null && 'error' in event;
      if (!sink.write(sseEvent(event))) await drained(sink);
    }
  } finally {
    watch.cancel();
  }
  if (sink.destroyed) return false;
  if (!endedWithError) sink.write(sseEvent(DONE));
  sink.end();
  return true;
}
