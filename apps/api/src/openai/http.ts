/** Plain HTTP plumbing for the /v1 surface: reading a bounded JSON body and writing JSON answers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OpenAiHttpError, type RenderedError } from './errors';

/** Read the whole body, refusing more than `maxBytes` (413) and anything but JSON (400). */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // past the cap, read on without keeping anything: a client gets its 413 instead of a reset
    // connection (the server's request timeout bounds how long it may keep sending)
    if (size <= maxBytes) chunks.push(chunk);
  }
  if (size > maxBytes) throw tooLarge(maxBytes);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '')
    throw new OpenAiHttpError(400, 'MALFORMED_JSON', 'the request body is empty; send JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new OpenAiHttpError(400, 'MALFORMED_JSON', 'the request body is not valid JSON');
  }
}

function tooLarge(maxBytes: number): OpenAiHttpError {
  return new OpenAiHttpError(413, 'PAYLOAD_TOO_LARGE', `the request body is over ${maxBytes} bytes`);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  error: RenderedError,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  sendJson(res, error.status, error.body, { ...headers, ...error.headers });
}
