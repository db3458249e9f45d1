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

/**
 * Write every event, then `[DONE]` unless the events ended with an error event (OpenAI's streams end
 * without `[DONE]` after an error). Stops early, without throwing, when the client went away: the
 * caller learns of that through its own abort signal. Returns whether the stream was written whole.
 */
export async function writeSse(sink: SseSink, events: AsyncIterable<unknown>): Promise<boolean> {
  let endedWithError = false;
  for await (const event of events) {
    if (sink.destroyed) return false;
    endedWithError = typeof event === 'object' && event !== null && 'error' in event;
    if (!sink.write(sseEvent(event))) await drained(sink);
  }
  if (sink.destroyed) return false;
  if (!endedWithError) sink.write(sseEvent(DONE));
  sink.end();
  return true;
}
