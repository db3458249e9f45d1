/**
 * Request bodies of the /v1 surface, as OpenAI documents them (unknown fields are ignored, as
 * OpenAI's own API ignores what it does not know). Optional parameters accept `null` like OpenAI's;
 * what Federa cannot honour (n > 1, non-text content, token arrays) is a 400 naming the parameter.
 */
import { z } from 'zod';
import { MAX_MESSAGES, MAX_MESSAGE_CHARS, MAX_OUTPUT_TOKENS, type ChatMessage } from '@federa/domain';
import { paramError } from './errors';

const MAX_STOP_SEQUENCES = 4;
const MAX_EMBEDDING_INPUTS = 2048;

const residencySchema = z.array(z.string().min(2).max(32)).min(1).max(300);
const modelSchema = z.string().min(1).max(256);
const maxTokensSchema = z.number().int().min(1).max(MAX_OUTPUT_TOKENS);

const textPartSchema = z.object({
  type: z.literal('text', { error: "only text content parts ({type: 'text', text}) are supported" }),
  text: z.string(),
});

const messageSchema = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant'], {
    error: 'role must be system, developer, user or assistant',
  }),
  content: z.union([z.string(), z.array(textPartSchema).min(1)], {
    error: 'content must be a string or an array of text parts',
  }),
});

export const chatCompletionRequestSchema = z.object({
  model: modelSchema,
  messages: z.array(messageSchema).min(1).max(MAX_MESSAGES),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  n: z.literal(1, { error: 'only n: 1 is supported' }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  stop: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(MAX_STOP_SEQUENCES)]).nullish(),
  max_tokens: maxTokensSchema.nullish(),
  max_completion_tokens: maxTokensSchema.nullish(),
  user: z.string().max(256).nullish(),
  seed: z.number().int().nullish(),
  federa: z.object({ residency: residencySchema.nullish() }).nullish(),
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

/** A token array is a real OpenAI input we do not take: say so, rather than "invalid input". */
const tokenArraySchema = z.union([z.array(z.number()).min(1), z.array(z.array(z.number())).min(1)]);

export const embeddingsRequestSchema = z.object({
  model: modelSchema,
  input: z.union([
    z.string().min(1, 'input must not be empty'),
    z.array(z.string().min(1, 'input must not contain empty strings')).min(1).max(MAX_EMBEDDING_INPUTS),
  ]),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  dimensions: z.number().int().min(1).max(65_536).nullish(),
  user: z.string().max(256).nullish(),
  federa: z.object({ residency: residencySchema.nullish() }).nullish(),
});
export type EmbeddingsRequest = z.infer<typeof embeddingsRequestSchema>;

/** OpenAI's way of naming a parameter: `messages[0].content`. */
export function paramOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** Validate a body, or throw VALIDATION_FAILED naming the first offending parameter. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = paramOf(issue.path);
  throw paramError('VALIDATION_FAILED', param ? `${param}: ${issue.message}` : issue.message, param);
}

export function parseChatRequest(body: unknown): ChatCompletionRequest {
  return parseBody(chatCompletionRequestSchema, body);
}

export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  if (
    body &&
    typeof body === 'object' &&
    tokenArraySchema.safeParse((body as { input?: unknown }).input).success
  )
    throw paramError('VALIDATION_FAILED', 'input: token arrays are not supported; send text', 'input');
  return parseBody(embeddingsRequestSchema, body);
}

/** The chat as Federa serves it: developer messages are system messages, text parts joined. */
export function toChatMessages(messages: ChatCompletionRequest['messages']): ChatMessage[] {
  return messages.map((m, i) => {
    const content = typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join('');
    if (content.length > MAX_MESSAGE_CHARS)
      throw paramError(
        'VALIDATION_FAILED',
        `messages[${i}].content: at most ${MAX_MESSAGE_CHARS} characters`,
        `messages[${i}].content`,
      );
    return { role: m.role === 'developer' ? 'system' : m.role, content };
  });
}

/** `max_completion_tokens` is OpenAI's current name, `max_tokens` the older one; absent = slice grants. */
export function maxTokensOf(req: ChatCompletionRequest): number | undefined {
  return req.max_completion_tokens ?? req.max_tokens ?? undefined;
}

export function stopSequencesOf(req: ChatCompletionRequest): string[] | undefined {
  if (req.stop == null) return undefined;
  return typeof req.stop === 'string' ? [req.stop] : req.stop;
}

/** `X-Federa-Residency: FR, DE` → ['FR', 'DE'] (absent → undefined). */
export function parseResidencyHeader(header: string | string[] | undefined): string[] | undefined {
  if (header === undefined) return undefined;
  const raw = Array.isArray(header) ? header.join(',') : header;
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return parseBody(residencySchema, names.length ? names : []);
}

/**
 * The narrowing a request asks for: the header's or the body's. Both at once must agree (as sets),
 * since silently preferring one would widen what the other said.
 */
export function requestedResidency(
  header: string | string[] | undefined,
  body: { readonly residency?: readonly string[] | null | undefined } | null | undefined,
): string[] | undefined {
  let fromHeader: string[] | undefined;
  try {
    fromHeader = parseResidencyHeader(header);
  } catch {
    throw paramError(
      'VALIDATION_FAILED',
      'X-Federa-Residency: a comma-separated list of country codes or group names',
      'X-Federa-Residency',
    );
  }
  const fromBody = body?.residency ?? undefined;
  if (fromHeader && fromBody) {
    const a = new Set(fromHeader.map((r) => r.toUpperCase()));
    const b = new Set(fromBody.map((r) => r.toUpperCase()));
    if (a.size !== b.size || [...a].some((r) => !b.has(r)))
      throw paramError(
        'VALIDATION_FAILED',
        'X-Federa-Residency and federa.residency disagree; send one of them',
        'federa.residency',
      );
  }
  return fromHeader ?? (fromBody ? [...fromBody] : undefined);
}
