/**
 * Chat answers in OpenAI's shapes, as pure functions of what the data plane gave: one
 * `chat.completion`, or the `chat.completion.chunk` events of a stream. Nothing here does I/O, so
 * the shapes are tested without a server.
 */
import type { ChatOutcome, ChatStream } from '../dataplane/types';
import type { OpenAiErrorBody } from './errors';

export interface ChatMeta {
  /** `chatcmpl-<request id>`: a retried request keeps its id */
  readonly id: string;
  /** Unix seconds */
  readonly created: number;
  readonly model: string;
}

export function chatMeta(requestId: string, model: string, nowMs: number): ChatMeta {
  return { id: `chatcmpl-${requestId}`, created: Math.floor(nowMs / 1000), model };
}

export function usageOf(outcome: ChatOutcome) {
  const { inputTokens, outputTokens } = outcome.usage;
  return {
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
  };
}

export function federaOf(outcome: ChatOutcome) {
  const f = outcome.federa;
  return {
    charge: f.charge,
    currency: f.currency,
    site: f.site,
    jurisdiction: f.jurisdiction,
    recordId: f.recordId,
    flags: f.flags,
    ...(f.code ? { code: f.code } : {}),
  };
}

/**
 * Whether Federa ended the generation by failing (a site lost after the first byte) rather than by
 * a limit: a limit (max_tokens, or a quota slice the budget could not extend) ends with
 * `finish_reason: "length"`, a failure becomes an error event carrying the billed usage.
 */
export function endedByFailure(outcome: ChatOutcome): boolean {
  return outcome.federa.code !== undefined && outcome.finishReason !== 'length';
}

/** The error a failed generation ends with, in OpenAI's shape plus what was billed for it. */
export function failureBody(outcome: ChatOutcome) {
  const code = outcome.federa.code ?? 'INTERNAL';
  return {
    error: {
      message: `the generation failed after its first token (${code}); the delivered tokens are billed`,
      type: 'server_error',
      param: null,
      code,
    },
    usage: usageOf(outcome),
    federa: federaOf(outcome),
  };
}

export function completionBody(meta: ChatMeta, content: string, outcome: ChatOutcome) {
  return {
    id: meta.id,
    object: 'chat.completion' as const,
    created: meta.created,
    model: meta.model,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content, refusal: null },
        logprobs: null,
        finish_reason: outcome.finishReason,
      },
    ],
    usage: usageOf(outcome),
    federa: federaOf(outcome),
  };
}

type Delta = { role?: 'assistant'; content?: string };

function chunk(meta: ChatMeta, delta: Delta, finishReason: string | null, includeUsage: boolean) {
  return {
    id: meta.id,
    object: 'chat.completion.chunk' as const,
    created: meta.created,
    model: meta.model,
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    // OpenAI sends `usage: null` on every chunk but the last when usage was asked for
    ...(includeUsage ? { usage: null } : {}),
  };
}

/**
 * The events of a streamed chat: the role, each content delta, the chunk with the finish reason,
 * then (with `include_usage`) the usage chunk with `choices: []`; the last chunk carries `federa`.
 * A failure after the first event becomes a final error event (`renderFailure` shapes it).
 */
export async function* chatEvents(
  stream: Pick<ChatStream, 'deltas' | 'outcome'>,
  meta: ChatMeta,
  includeUsage: boolean,
  renderFailure: (err: unknown) => OpenAiErrorBody,
): AsyncGenerator<object> {
  // settled below; observed now so a rejection while deltas are still read is never unhandled
  stream.outcome.catch(() => undefined);
  yield chunk(meta, { role: 'assistant', content: '' }, null, includeUsage);
  let outcome: ChatOutcome;
  try {
    for await (const delta of stream.deltas) {
      if (delta) yield chunk(meta, { content: delta }, null, includeUsage);
    }
    outcome = await stream.outcome;
  } catch (err) {
    yield renderFailure(err);
    return;
  }
  if (endedByFailure(outcome)) {
    yield failureBody(outcome);
    return;
  }
  const federa = federaOf(outcome);
  const last = chunk(meta, {}, outcome.finishReason, includeUsage);
  if (!includeUsage) {
    yield { ...last, federa };
    return;
  }
  yield last;
  yield { ...chunk(meta, {}, null, false), choices: [], usage: usageOf(outcome), federa };
}
