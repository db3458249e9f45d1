/**
 * The site agent's activity: call the site's OpenAI-compatible endpoint. It runs on the site's own
 * task queue, inside the site's jurisdiction, and refuses work whose residency excludes that
 * jurisdiction, a last line of defence behind the router's hard filter.
 */
import { Context } from '@temporalio/activity';
import type { JWK } from 'jose';
import { FederaError, type ChatMessage } from '@federa/domain';
import { openWith, sealTo } from '@federa/sealing';
import {
  DEFAULT_DISPATCH_TIMEOUT,
  dispatchTimeoutMs,
  timeoutCountsAgainstSite,
  type DispatchTimeoutParams,
} from './dispatch-timeout';
import { withFailures } from './failures';
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  ResponseTooLargeError,
  readTextCapped,
  siteIdempotencyKey,
} from './site-http';
import type { DispatchInput, DispatchResult } from './types';

export interface SiteAgentDeps {
  readonly siteId: string;
  readonly jurisdiction: string;
  /** this jurisdiction's private payload key (opens sealed requests) and the API's public key */
  readonly payloadKeys?: { readonly opening: JWK; readonly api: JWK } | undefined;
  /** base URL of the site's OpenAI-compatible API, e.g. http://127.0.0.1:9101 */
  readonly endpoint: string;
  /**
   * this agent's own sizing of the site timeout (default: the budget the workflow passes in the
   * dispatch input); `baseMs` is the allowance for the first token, `minTokensPerSecond` the floor
   */
  readonly timeout?: Partial<DispatchTimeoutParams> | undefined;
  /** cap on a site's response body (default 8 MiB): over it the site is unavailable */
  readonly maxResponseBytes?: number | undefined;
  /** in-flight accounting for routing's load signal */
  readonly onInflight?: (siteId: string, delta: number) => Promise<void>;
  /** outcome of each dispatch, for the site's circuit breaker */
  readonly onOutcome?: (siteId: string, ok: boolean) => Promise<void>;
}

interface ChatCompletionBody {
  choices?: { message?: { content?: string }; finish_reason?: string }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

function unavailable(siteId: string, why: string): FederaError {
  return new FederaError('SITE_UNAVAILABLE', `site '${siteId}' unavailable: ${why}`);
}

/** A timeout; `countsAgainstSite` is false when the request's own size explains it. */
class SiteTimeout extends FederaError {
  constructor(
    message: string,
    readonly countsAgainstSite: boolean,
  ) {
    super('SITE_TIMEOUT', message);
  }
}

export function createSiteActivities(deps: SiteAgentDeps) {
  async function dispatchCompletion(input: DispatchInput): Promise<DispatchResult> {
    if (input.siteId !== deps.siteId) {
      throw new FederaError('SITE_REJECTED', `agent of '${deps.siteId}' got work for '${input.siteId}'`);
    }
    if (!input.allowedJurisdictions.includes(deps.jurisdiction)) {
      throw new FederaError(
        'RESIDENCY_VIOLATION',
        `site '${deps.siteId}' (${deps.jurisdiction}) is outside the request's residency`,
      );
    }
    const messages = await openMessages(input);
    const ctx = Context.current();
    // heartbeats let Temporal notice a crashed agent long before the start-to-close timeout
    const beat = setInterval(() => ctx.heartbeat(), 1000);
    const sizing = { ...DEFAULT_DISPATCH_TIMEOUT, ...deps.timeout };
    const timeoutMs = deps.timeout
      ? dispatchTimeoutMs(input.maxTokens, sizing)
      : (input.timeoutMs ?? dispatchTimeoutMs(input.maxTokens, sizing));
    const sizeExplainsTimeout = !timeoutCountsAgainstSite(input.maxTokens, sizing);
    const timedOut = (what: string) =>
      new SiteTimeout(`site '${deps.siteId}' ${what} within ${timeoutMs} ms`, !sizeExplainsTimeout);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([timeout, ctx.cancellationSignal]);
    // advisory signals (load, health) stay off the request's critical path: sent, not awaited;
    // one connection keeps them in order
    void deps.onInflight?.(deps.siteId, 1).catch(() => undefined);
    const startedAt = new Date();
    const t0 = performance.now();
    try {
      let res: Response;
      try {
        res = await fetch(`${deps.endpoint}/v1/chat/completions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            // derived from tenant + request id: two tenants' ids never collide at the site
            'idempotency-key': siteIdempotencyKey(input.tenantId ?? '', input.requestId),
          },
          body: JSON.stringify({
            model: input.model,
            messages,
            max_tokens: input.maxTokens,
            stream: false,
          }),
          signal,
        });
      } catch (err) {
        if (timeout.aborted) throw timedOut('did not answer');
        throw unavailable(
          deps.siteId,
          (err as Error).cause ? String((err as Error).cause) : (err as Error).message,
        );
      }
      const maxBytes = deps.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
      const text = await readTextCapped(res, maxBytes).catch((err: Error) => {
        if (err instanceof ResponseTooLargeError) throw unavailable(deps.siteId, err.message);
        if (timeout.aborted) throw timedOut('did not finish its response');
        throw unavailable(deps.siteId, 'the response body could not be read');
      });
      const totalMs = performance.now() - t0;
      if (res.status >= 500 || res.status === 429 || res.status === 408) {
        throw unavailable(deps.siteId, `HTTP ${res.status}`);
      }
      if (!res.ok) {
        // status only: the site's body is the site's text, which never goes into history or API errors
        throw new FederaError(
          'SITE_REJECTED',
          `site '${deps.siteId}' rejected the request: HTTP ${res.status}`,
        );
      }
      const servedBy = res.headers.get('x-federa-site');
      if (servedBy && servedBy !== deps.siteId) throw unavailable(deps.siteId, `answered as '${servedBy}'`);
      let body: ChatCompletionBody;
      try {
        body = JSON.parse(text) as ChatCompletionBody;
      } catch {
        throw unavailable(deps.siteId, 'response is not JSON');
      }
      const choice = body.choices?.[0];
      const inputTokens = body.usage?.prompt_tokens;
      const outputTokens = body.usage?.completion_tokens;
      if (!choice || !Number.isSafeInteger(inputTokens) || !Number.isSafeInteger(outputTokens)) {
        throw unavailable(deps.siteId, 'response lacks choices or usage');
      }
      return {
        siteId: deps.siteId,
        ...(await sealCompletion(input, choice.message?.content ?? '')),
        finishReason: choice.finish_reason ?? 'stop',
        inputTokens: inputTokens as number,
        outputTokens: outputTokens as number,
        startedAt: startedAt.toISOString(),
        completedAt: new Date().toISOString(),
        totalMs,
        // measured here, never taken from the site (a Server-Timing header could claim anything)
        networkMs: totalMs,
      };
    } finally {
      clearInterval(beat);
      void deps.onInflight?.(deps.siteId, -1).catch(() => undefined);
    }
  }

  /** The prompt exists in clear only here, inside the site's jurisdiction, for the length of the call. */
  async function openMessages(input: DispatchInput): Promise<readonly ChatMessage[]> {
    if (!input.sealedMessages) return input.messages ?? [];
    if (!deps.payloadKeys) {
      throw new FederaError(
        'SITE_REJECTED',
        `agent of '${deps.siteId}' holds no payload key to open the request`,
      );
    }
    return JSON.parse(await openWith(input.sealedMessages, deps.payloadKeys.opening)) as ChatMessage[];
  }

  async function sealCompletion(
    input: DispatchInput,
    content: string,
  ): Promise<{ content: string; sealedContent?: string }> {
    if (!input.sealedMessages || !deps.payloadKeys) return { content };
    return { content: '', sealedContent: await sealTo(content, deps.payloadKeys.api) };
  }

  /** Dispatch, and tell the circuit breaker whether the site answered (a 4xx is the request's fault). */
  async function observedDispatch(input: DispatchInput): Promise<DispatchResult> {
    try {
      const result = await dispatchCompletion(input);
      void deps.onOutcome?.(deps.siteId, true).catch(() => undefined);
      return result;
    } catch (err) {
      const countsAgainstSite =
        err instanceof SiteTimeout
          ? err.countsAgainstSite
          : err instanceof FederaError && err.code === 'SITE_UNAVAILABLE';
      if (countsAgainstSite) {
        void deps.onOutcome?.(deps.siteId, false).catch(() => undefined);
      }
      throw err;
    }
  }

  return { dispatchCompletion: withFailures(observedDispatch) };
}

export type SiteActivities = ReturnType<typeof createSiteActivities>;
