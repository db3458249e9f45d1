/**
 * What the site agent sends to and reads from a site, kept apart from the dispatch logic: the
 * idempotency key a site sees, and a byte-capped read of the site's answer.
 */
import { createHash } from 'node:crypto';

/** Default cap on a site's response body: far above any completion of 32k tokens in JSON. */
export const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * The `Idempotency-Key` a site sees: SHA-256 of `tenant \0 requestId`, hex. Request ids are chosen
 * by tenants, so two tenants may pick the same one; the derived key never collides across tenants
 * and does not reveal the tenant's own id to the site.
 */
export function siteIdempotencyKey(tenantId: string, requestId: string): string {
  return createHash('sha256').update(`${tenantId}\0${requestId}`).digest('hex');
}

export class ResponseTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`response exceeds ${maxBytes} bytes`);
  }
}

/**
 * Read a response body as text, refusing (and cancelling the stream) as soon as it exceeds
 * `maxBytes`: a site cannot make the agent buffer an unbounded answer.
 */
export async function readTextCapped(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new ResponseTooLargeError(maxBytes);
  }
  if (!res.body) return '';
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
