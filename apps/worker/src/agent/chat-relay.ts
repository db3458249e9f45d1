/**
 * Relays one chat completion from a site to the API, token by token, metering what it relays.
 *
 * The agent asks the site for a stream (whatever the client asked for: the API renders plain or SSE),
 * counts each relayed piece with the federation's tokenizer, stops the site at the grant, and ends
 * with a usage report: the site's own figures beside the agent's count. The billing basis is what
 * was relayed, never more than the grant.
 */
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { chunkByTokens, countTextTokensBounded } from '@federa/tokenizer';
import { siteIdempotencyKey, type UsageReport } from '@federa/workflows';
import type { AgentChatRequest, AgentRefusal } from '@federa/workflows';
import { traceHeaders } from '@federa/telemetry';
import { SITE_USAGE_DISPUTED, siteOutputDisputed } from './site-usage';
import { SiteStreamTooLarge, boundedSse, maxStreamBytes } from './sse-bounds';
import { boundedAsk, SliceGrant, type AskGrant } from './slice-grant';

export interface RelaySite {
  readonly siteId: string;
  readonly endpoint: string;
}

export interface RelaySink {
  /** the first piece (or the end) is here: from now on failures end the stream instead of failing over */
  open(): void;
  delta(content: string): void;
}

export class RelayRefused extends Error {
  constructor(readonly refusal: AgentRefusal) {
    super(refusal.message);
  }
}

interface ChunkBody {
  choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
}

const count = (n: unknown) => (Number.isSafeInteger(n) && (n as number) >= 0 ? (n as number) : -1);

/**
 * Run the exchange. Rejects with RelayRefused before the first byte; after it, always resolves with
 * the report (flagged when the client left or the site failed mid-stream).
 */
export async function relayChat(
  site: RelaySite,
  req: AgentChatRequest,
  messages: readonly { role: string; content: string }[],
  sink: RelaySink,
  clientGone: AbortSignal,
  /** asks the workflow for the next slice of the output grant (absent: the first grant is all) */
  askGrant?: AskGrant,
): Promise<{ report: UsageReport; code?: string }> {
  // the site may generate up to the ceiling; what is relayed stays within what is granted so far
  const ceiling = Math.max(req.maxTokens ?? req.grantTokens, req.grantTokens);
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const abort = new AbortController();
  const signal = AbortSignal.any([timeout, clientGone, abort.signal]);
  const grant = new SliceGrant(
    req.grantTokens,
    askGrant ? ceiling : req.grantTokens,
    askGrant ? boundedAsk(askGrant, signal) : () => Promise.reject(new Error('no slices')),
  );
  const refuse = (code: string, message: string, mayHaveServed: boolean): never => {
    throw new RelayRefused({
      code,
      message: `site '${site.siteId}' ${message}`,
      final: false,
      mayHaveServed,
    });
  };
  const t0 = performance.now();
  let res: Response;
  try {
    res = await fetch(`${site.endpoint}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': siteIdempotencyKey(req.tenantId, req.requestId),
        // the agent's site span (W3C traceparent): a site that traces joins the request's trace
        ...traceHeaders(),
      },
      body: JSON.stringify({
        ...req.sampling,
        model: req.model,
        messages,
        max_tokens: askGrant ? ceiling : req.grantTokens,
        stream: true,
        stream_options: { include_usage: true },
      }),
      signal,
    });
  } catch (err) {
    if (clientGone.aborted) refuse('CLIENT_CLOSED_REQUEST', 'was not asked: the client left', false);
    if (timeout.aborted) refuse('SITE_TIMEOUT', `did not answer within ${req.timeoutMs} ms`, true);
    return refuse('SITE_UNAVAILABLE', `unavailable: ${describeCause(err)}`, false);
  }
  if (res.status >= 500 || res.status === 429 || res.status === 408) {
    await res.body?.cancel().catch(() => undefined);
    refuse('SITE_UNAVAILABLE', `unavailable: HTTP ${res.status}`, false);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    // status only: the site's body is the site's text, which never reaches the client or history
    throw new RelayRefused({
      code: 'SITE_REJECTED',
      message: `site '${site.siteId}' rejected the request: HTTP ${res.status}`,
      final: true,
      mayHaveServed: false,
    });
  }
  const servedBy = res.headers.get('x-federa-site');
  if (servedBy && servedBy !== site.siteId) {
    await res.body.cancel().catch(() => undefined);
    refuse('SITE_UNAVAILABLE', `answered as '${servedBy}'`, true);
  }

  let opened = false;
  let firstTokenMs = 0;
  let relayedText = '';
  let relayedEstimate = 0;
  let finishReason = 'stop';
  let siteInput = -1;
  let siteOutput = -1;
  let clamped = false;
  const open = () => {
    if (opened) return;
    opened = true;
    firstTokenMs = performance.now() - t0;
    sink.open();
  };
  const flags: string[] = [];
  let code: string | undefined;
  try {
    const events = res.body
      // a site's bytes are bounded by the grant before the parser buffers any of them
      .pipeThrough(boundedSse({ maxTotalBytes: () => maxStreamBytes(askGrant ? ceiling : req.grantTokens) }))
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(new EventSourceParserStream());
    for await (const event of events) {
      if (event.data === '[DONE]') break;
      let chunk: ChunkBody;
      try {
        chunk = JSON.parse(event.data) as ChunkBody;
      } catch {
        continue; // not ours to judge a site's keep-alive comments or stray lines
      }
      if (chunk.usage) {
        siteInput = count(chunk.usage.prompt_tokens);
        siteOutput = count(chunk.usage.completion_tokens);
      }
      const choice = chunk.choices?.[0];
      if (typeof choice?.finish_reason === 'string') finishReason = choice.finish_reason;
      const content = choice?.delta?.content;
      if (typeof content !== 'string' || content === '' || clamped) continue;
      // the grant is a hard ceiling: the piece that would cross it is cut, and the site stopped
      const tokens = countTextTokensBounded(content);
      grant.askAheadIfLow(relayedEstimate + tokens);
      // within the grant at once; past it only once the next slice is granted (or refused)
      const remaining = await grant.room(relayedEstimate, tokens);
      const piece = tokens <= remaining ? content : (chunkByTokens(content, Math.max(remaining, 1))[0] ?? '');
      if (tokens > remaining) clamped = true;
      if (remaining > 0 && piece) {
        open();
        sink.delta(piece);
        relayedText += piece;
        relayedEstimate += Math.min(tokens, remaining);
      }
      if (clamped) {
        finishReason = 'length';
        // stopped short of the ceiling: the next slice was refused (budget, rate limit)
        if (grant.refused) {
          flags.push('GRANT_EXHAUSTED');
          code = grant.refused;
        } else flags.push('OUTPUT_CLAMPED');
        abort.abort();
        break;
      }
    }
  } catch (err) {
    abort.abort(); // whatever broke the stream, the site stops generating
    if (clientGone.aborted) flags.push('CLIENT_DISCONNECT');
    else if (!opened) {
      refuse(
        timeout.aborted ? 'SITE_TIMEOUT' : 'SITE_UNAVAILABLE',
        `failed before its first token: ${(err as Error).message}`,
        true,
      );
    } else {
      flags.push('SITE_FAILED_MID_STREAM');
      code = timeout.aborted
        ? 'SITE_TIMEOUT'
        : err instanceof SiteStreamTooLarge
          ? 'SITE_RESPONSE_TOO_LARGE'
          : 'SITE_FAILED_MID_STREAM';
    }
  }
  if (clientGone.aborted && !flags.includes('CLIENT_DISCONNECT')) flags.push('CLIENT_DISCONNECT');
  open();
  const totalMs = performance.now() - t0;
  // one exact count of everything relayed (pieces may split a token; the sum of their counts may not)
  const relayedTokens = Math.min(countTextTokensBounded(relayedText), grant.granted);
  // billed from the agent's count either way; a site that claims otherwise is flagged for settlement
  if (siteOutputDisputed(siteOutput, relayedTokens)) flags.push(SITE_USAGE_DISPUTED);
  return {
    report: {
      siteId: site.siteId,
      siteInputTokens: siteInput,
      siteOutputTokens: siteOutput,
      relayedTokens,
      grantedTokens: grant.granted,
      finishReason,
      flags,
      failedAttempts: req.failedAttempts,
      totalMs,
      // the agent's own first-token latency is the routing sample, never a figure the site reports
      networkMs: firstTokenMs,
    },
    ...(code ? { code } : {}),
  };
}

function describeCause(err: unknown): string {
  const cause = (err as Error).cause;
  return cause instanceof Error ? cause.message : (err as Error).message;
}
