/** The state one emulated site shares between its handlers: behaviour switches, counters, meters. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { openAiError, type Headers } from './http';
import type { SeenKeys } from './seen-keys';
import type { UsageMeter } from './usage-meter';

export interface EmulatorBehaviour {
  ttftMs: number;
  tokensPerSecond: number;
  /** probability of answering 503 */
  errorRate: number;
  /** a down site resets every connection (except control endpoints) */
  down: boolean;
  /** output length when max_tokens allows it (and when a request sets no max_tokens at all) */
  completionTokens: number;
  /** force one HTTP status for completions and embeddings (e.g. 500), or 0 for normal behaviour */
  forceStatus: number;
  /** answer HTTP 500 to this many completions or embeddings, then recover */
  failNext: number;
  /** a dishonest site: the usage it reports is multiplied by this (1 = honest) */
  usageInflation: number;
  /**
   * a site dishonest about output only: the completion tokens it reports (usage chunk and meter) are
   * multiplied by this as well (1 = honest; 3 over-reports, 0.5 under-reports)
   */
  completionUsageInflation: number;
  /**
   * mid-stream crash, once: the next streaming completion sends this many tokens, then the site
   * destroys the connection (0 = off; reset to 0 when used)
   */
  failAfterTokens: number;
  /**
   * mid-stream hang, once: the next streaming completion sends this many tokens, then sends nothing
   * more while keeping the connection open until the client leaves (0 = off; reset when used)
   */
  stallAfterTokens: number;
  /**
   * hostile stream, once: the next streaming completion sends this many tokens, then one endless
   * event (bytes without a line break) until the client leaves (0 = off; reset when used)
   */
  floodAfterTokens: number;
}

export const DEFAULT_BEHAVIOUR: EmulatorBehaviour = {
  ttftMs: 20,
  tokensPerSecond: 2000,
  errorRate: 0,
  down: false,
  completionTokens: 32,
  forceStatus: 0,
  failNext: 0,
  usageInflation: 1,
  completionUsageInflation: 1,
  failAfterTokens: 0,
  stallAfterTokens: 0,
  floodAfterTokens: 0,
};

export interface EmulatorStats {
  siteId: string;
  requests: number;
  /** chat completions served to the end */
  completions: number;
  /** chat completions and embeddings stopped because the client went away */
  cancelled: number;
  embeddings: number;
  errors: number;
  refused: number;
  /** health probes received */
  probes: number;
  /** usage meter look-ups (GET /v1/usage/{key}) */
  usageQueries: number;
  /** requests whose Idempotency-Key had been served before (and was still remembered) */
  duplicates: number;
  /** Idempotency-Keys remembered right now (at most maxSeenKeys) */
  trackedKeys: number;
  /** chat prompt tokens (cancelled requests included) */
  promptTokens: number;
  /** completion tokens actually sent (a cancelled stream counts what went out before it stopped) */
  completionTokens: number;
  /** input tokens of embeddings */
  embeddingTokens: number;
}

export interface SiteContext {
  readonly siteId: string;
  readonly jurisdiction: string;
  readonly chatModels: readonly string[];
  readonly embeddingModels: readonly string[];
  readonly behaviour: EmulatorBehaviour;
  readonly stats: EmulatorStats;
  readonly meter: UsageMeter;
  readonly seenKeys: SeenKeys;
  /** x-federa-site and x-federa-jurisdiction, on every answer */
  readonly headers: Headers;
  readonly random: () => number;
  /** the last request bodies the site received, as it parsed them (in process only, for tests) */
  readonly last: { chat?: Record<string, unknown>; embeddings?: Record<string, unknown> };
}

/** Answers with an injected failure when a fault switch says so; true when it did. */
export function injectedFault(ctx: SiteContext, res: ServerResponse): boolean {
  const { behaviour, stats, headers } = ctx;
  if (behaviour.failNext > 0) {
    behaviour.failNext--;
    stats.errors++;
    openAiError(res, 500, 'server_error', 'transient failure (injected)', headers);
    return true;
  }
  if (behaviour.forceStatus) {
    stats.errors++;
    openAiError(res, behaviour.forceStatus, 'server_error', 'forced failure', headers);
    return true;
  }
  if (behaviour.errorRate > 0 && ctx.random() < behaviour.errorRate) {
    stats.errors++;
    openAiError(res, 503, 'server_error', 'the site is overloaded (injected fault)', headers);
    return true;
  }
  return false;
}

/** The request's Idempotency-Key, counting it as a duplicate when the site has served it before. */
export function idempotencyKey(ctx: SiteContext, req: IncomingMessage): string | undefined {
  const key = req.headers['idempotency-key'];
  if (typeof key !== 'string') return undefined;
  if (ctx.seenKeys.see(key)) ctx.stats.duplicates++;
  ctx.stats.trackedKeys = ctx.seenKeys.size;
  return key;
}

/** Token counts as the site reports them (a dishonest site inflates them). */
export function reported(ctx: SiteContext, tokens: number): number {
  return Math.round(tokens * ctx.behaviour.usageInflation);
}

/** Completion tokens as the site reports them (inflated also by the output-only switch). */
export function reportedCompletion(ctx: SiteContext, tokens: number): number {
  return Math.round(tokens * ctx.behaviour.usageInflation * ctx.behaviour.completionUsageInflation);
}
