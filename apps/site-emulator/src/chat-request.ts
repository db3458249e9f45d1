/**
 * What the emulator reads from a chat completion request, validated the way OpenAI does (a 400 that
 * names the offending `param`). Sampling parameters are accepted and checked but do not change the
 * output: an emulated site's output depends on the prompt only, so tests can predict it.
 */
export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

export interface ChatParams {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  /** max_tokens or max_completion_tokens; undefined = as long as the site likes */
  readonly maxTokens: number | undefined;
  readonly stream: boolean;
  readonly includeUsage: boolean;
  /** output is cut before the first occurrence of any of these */
  readonly stop: readonly string[];
}

export interface ParamError {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly message: string;
}

const MAX_STOP_SEQUENCES = 4;

function isChatMessage(m: unknown): m is ChatMessage {
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof (m as { role?: unknown }).role === 'string' &&
    typeof (m as { content?: unknown }).content === 'string'
  );
}

const absent = (v: unknown) => v === undefined || v === null;
const invalid = (param: string, message: string): ParamError => ({
  status: 400,
  type: 'invalid_request_error',
  param,
  message,
});

function numberIn(body: Record<string, unknown>, param: string, min: number, max: number) {
  const v = body[param];
  if (absent(v) || (typeof v === 'number' && v >= min && v <= max)) return undefined;
  return invalid(param, `${param} must be a number between ${min} and ${max}`);
}

function positiveInteger(body: Record<string, unknown>, param: string): number | ParamError | undefined {
  const v = body[param];
  if (absent(v)) return undefined;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1) return v;
  return invalid(param, `${param} must be a positive integer`);
}

function stopSequences(v: unknown): readonly string[] | ParamError {
  if (absent(v)) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (
    !Array.isArray(list) ||
    list.length > MAX_STOP_SEQUENCES ||
    !list.every((s): s is string => typeof s === 'string' && s.length > 0)
  )
    return invalid('stop', `stop must be a non-empty string or up to ${MAX_STOP_SEQUENCES} of them`);
  return list;
}

/** The request's parameters, or the error to answer with; `models` are the chat models served. */
export function parseChatRequest(
  body: Record<string, unknown>,
  models: readonly string[],
): ChatParams | ParamError {
  const { model, messages } = body;
  if (typeof model !== 'string' || !models.includes(model)) {
    return {
      status: 404,
      type: 'model_not_found',
      param: 'model',
      message: `model '${String(model)}' is not served here`,
    };
  }
  if (!Array.isArray(messages) || messages.length === 0 || !messages.every(isChatMessage))
    return invalid('messages', 'messages must be a non-empty array of {role, content}');
  if (!absent(body.n) && body.n !== 1) return invalid('n', 'n must be 1: this site returns one choice');
  const sampling =
    numberIn(body, 'temperature', 0, 2) ??
    numberIn(body, 'top_p', 0, 1) ??
    (absent(body.seed) || Number.isSafeInteger(body.seed)
      ? undefined
      : invalid('seed', 'seed must be an integer')) ??
    (absent(body.user) || typeof body.user === 'string'
      ? undefined
      : invalid('user', 'user must be a string'));
  if (sampling) return sampling;
  const maxTokens = positiveInteger(body, 'max_tokens');
  if (typeof maxTokens === 'object') return maxTokens;
  const maxCompletionTokens = positiveInteger(body, 'max_completion_tokens');
  if (typeof maxCompletionTokens === 'object') return maxCompletionTokens;
  const stop = stopSequences(body.stop);
  if (!Array.isArray(stop)) return stop as ParamError;
  const streamOptions = body.stream_options as { include_usage?: unknown } | null | undefined;
  return {
    model,
    messages,
    // both given: the tighter one, so a site never sends more than either promised
    maxTokens:
      maxTokens !== undefined && maxCompletionTokens !== undefined
        ? Math.min(maxTokens, maxCompletionTokens)
        : (maxTokens ?? maxCompletionTokens),
    stream: body.stream === true,
    includeUsage: streamOptions?.include_usage === true,
    stop,
  };
}

export function isParamError(v: ChatParams | ParamError): v is ParamError {
  return 'status' in v;
}
