/** Small HTTP helpers shared by the emulator's handlers: bodies, JSON, OpenAI-shaped errors, pauses. */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export type Headers = Record<string, string>;

/** constant-time comparison of `Authorization: Bearer <token>` with the expected token */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = Buffer.from(/^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The JSON body of a request, or an OpenAI-shaped 400/413 already sent (and undefined returned). */
export async function readJson(
  req: IncomingMessage,
  res: ServerResponse,
  headers: Headers,
): Promise<Record<string, unknown> | undefined> {
  try {
    const body: unknown = JSON.parse(await readBody(req));
    if (typeof body === 'object' && body !== null && !Array.isArray(body))
      return body as Record<string, unknown>;
    openAiError(res, 400, 'invalid_request_error', 'the body must be a JSON object', headers);
  } catch (err) {
    const status = (err as { status?: number }).status ?? 400;
    const message = status === 413 ? 'body too large' : 'body is not valid JSON';
    openAiError(res, status, 'invalid_request_error', message, headers);
  }
  return undefined;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

/** OpenAI's error shape: `{ error: { message, type, param, code } }`. */
export function openAiError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  headers: Headers = {},
  param: string | null = null,
): void {
  sendJson(res, status, { error: { message, type, param, code: type } }, headers);
}

/**
 * A signal that fires when the client goes away before the response is complete, so a handler
 * can stop generating (a finished response also emits 'close', hence the writableFinished check).
 */
export function disconnectSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** Waits `ms` unless the signal fires first; false when it did (the client is gone). */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    if (ms >= 1) await sleep(ms, undefined, { signal });
    else await yieldToEventLoop(undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Resolves when the signal fires (a stalled site waits for its client to give up). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Writes respecting backpressure; false when the client went away first. */
export async function writeOrAbort(res: ServerResponse, data: string, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (res.write(data)) return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onAbort = () => done(false);
    res.on('drain', onDrain);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
