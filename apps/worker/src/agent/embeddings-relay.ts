/**
 * Relays one embeddings request to a site. Embeddings are metered by input tokens only; the site's
 * own count is reported beside the API edge's, which is what is billed.
 */
import {
  ResponseTooLargeError,
  readTextCapped,
  siteIdempotencyKey,
  type AgentEmbeddingsRequest,
  type UsageReport,
} from '@federa/workflows';
import { traceHeaders } from '@federa/telemetry';
import { RelayRefused, type RelaySite } from './chat-relay';

interface EmbeddingsBody {
  data?: { index?: unknown; embedding?: unknown }[];
  usage?: { prompt_tokens?: unknown };
}

/** vectors of a large batch are big, but a site's answer is still bounded (whatever it claims) */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export async function relayEmbeddings(
  site: RelaySite,
  req: AgentEmbeddingsRequest,
  input: readonly string[],
  clientGone: AbortSignal,
): Promise<{ vectors: number[][]; report: UsageReport }> {
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const refuse = (code: string, message: string, final = false): never => {
    throw new RelayRefused({
      code,
      message: `site '${site.siteId}' ${message}`,
      final,
      mayHaveServed: !final,
    });
  };
  const t0 = performance.now();
  let res: Response;
  try {
    res = await fetch(`${site.endpoint}/v1/embeddings`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': siteIdempotencyKey(req.tenantId, req.requestId),
        // the agent's site span (W3C traceparent): a site that traces joins the request's trace
        ...traceHeaders(),
      },
      body: JSON.stringify({
        model: req.model,
        input,
        encoding_format: 'float',
        ...(req.dimensions ? { dimensions: req.dimensions } : {}),
      }),
      signal: AbortSignal.any([timeout, clientGone]),
    });
  } catch {
    return refuse(timeout.aborted ? 'SITE_TIMEOUT' : 'SITE_UNAVAILABLE', 'did not answer');
  }
  if (res.status >= 500 || res.status === 429 || res.status === 408)
    refuse('SITE_UNAVAILABLE', `answered HTTP ${res.status}`);
  if (!res.ok) refuse('SITE_REJECTED', `rejected the request: HTTP ${res.status}`, true);
  let body: EmbeddingsBody;
  try {
    body = JSON.parse(await readTextCapped(res, MAX_RESPONSE_BYTES)) as EmbeddingsBody;
  } catch (err) {
    return refuse(
      'SITE_UNAVAILABLE',
      err instanceof ResponseTooLargeError
        ? 'sent an oversized response'
        : 'sent a response that is not JSON',
    );
  }
  const rows = [...(body.data ?? [])].sort((a, b) => Number(a.index) - Number(b.index));
  const vectors = rows.map((r) => r.embedding);
  if (
    vectors.length !== input.length ||
    !vectors.every((v): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number'))
  ) {
    refuse('SITE_UNAVAILABLE', 'sent embeddings that do not match the input');
  }
  const promptTokens = body.usage?.prompt_tokens;
  return {
    vectors: vectors as number[][],
    report: {
      siteId: site.siteId,
      siteInputTokens: Number.isSafeInteger(promptTokens) ? (promptTokens as number) : -1,
      siteOutputTokens: 0,
      relayedTokens: 0,
      finishReason: 'stop',
      flags: [],
      failedAttempts: req.failedAttempts,
      totalMs: performance.now() - t0,
      networkMs: performance.now() - t0,
    },
  };
}
