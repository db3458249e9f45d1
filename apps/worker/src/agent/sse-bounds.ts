/**
 * Byte bounds on a site's SSE stream, applied before the event parser sees a byte.
 *
 * The parser buffers an event until its blank line, so a hostile (or broken) site could grow the
 * agent's memory without end with one endless line, or keep it busy with an endless stream of
 * events that carry no tokens. Two bounds stop that: one event may be at most `maxEventBytes`, and
 * the whole stream at most `maxTotalBytes()` (read at every chunk, so a grant extended mid-stream
 * extends it too). Crossing either errors the stream with SiteStreamTooLarge; the relay then ends
 * the exchange and bills what it relayed.
 */

/** room for the role chunk, the finish and usage chunks and keep-alive comments */
export const SSE_FIXED_ALLOWANCE_BYTES = 1024 * 1024;
/**
 * Bytes a site may send per granted token: a streamed chunk of one token is ~200–300 bytes in
 * OpenAI's shape (ids, model name, a \u-escaped character is 6 bytes), so 1 KiB leaves a wide
 * margin for any honest server and still bounds a hostile one by the grant.
 */
export const SSE_BYTES_PER_GRANTED_TOKEN = 1024;
/** one event: a chunk carries a token or a few, never anything near this */
export const SSE_MAX_EVENT_BYTES = 64 * 1024;

export function maxStreamBytes(grantTokens: number): number {
  return SSE_FIXED_ALLOWANCE_BYTES + Math.max(0, grantTokens) * SSE_BYTES_PER_GRANTED_TOKEN;
}

export class SiteStreamTooLarge extends Error {
  constructor(readonly bound: 'event' | 'total') {
    super(bound === 'event' ? 'sent an oversized event' : 'sent more bytes than the grant explains');
  }
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * A byte stream that passes chunks through while they stay within the bounds. Events end at a blank
 * line (LF LF, CR CR or CRLF CRLF), as the SSE parser sees them.
 */
export function boundedSse(opts: {
  readonly maxTotalBytes: () => number;
  readonly maxEventBytes?: number;
}): TransformStream<Uint8Array, Uint8Array> {
  const maxEvent = opts.maxEventBytes ?? SSE_MAX_EVENT_BYTES;
  let total = 0;
  let eventBytes = 0;
  let lineBytes = 0;
  let previous = -1;
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.byteLength;
      if (total > opts.maxTotalBytes()) {
        controller.error(new SiteStreamTooLarge('total'));
        return;
      }
      for (const byte of chunk) {
        if (byte === LF || byte === CR) {
          // the LF of a CRLF ends the same line as its CR
          if (!(byte === LF && previous === CR)) {
            if (lineBytes === 0) eventBytes = 0; // a blank line: the event is complete
            lineBytes = 0;
          }
        } else {
          lineBytes++;
          if (++eventBytes > maxEvent) {
            controller.error(new SiteStreamTooLarge('event'));
            return;
          }
        }
        previous = byte;
      }
      controller.enqueue(chunk);
    },
  });
}
