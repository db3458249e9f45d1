/**
 * POST /v1/embeddings: deterministic unit-length vectors from the text (a seeded hash, not a
 * model), metered by input tokens with the same tokenizer as chat. A shorter `dimensions` gives the
 * normalised prefix of the full vector, as OpenAI's shortened embeddings do.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { countTextTokens } from '@federa/tokenizer';
import { idempotencyKey, injectedFault, reported, type SiteContext } from './context';
import { disconnectSignal, openAiError, pause, readJson, sendJson } from './http';
import { prng } from './seeds';

export const DEFAULT_EMBEDDING_DIMENSIONS = 256;
export const MAX_EMBEDDING_DIMENSIONS = 3072;
/** OpenAI's own limit on inputs per request */
const MAX_INPUTS = 2048;

/** The text's vector: normally distributed components (Box-Muller) from its hash, unit length. */
export function embed(text: string, dimensions: number): number[] {
  const random = prng(createHash('sha256').update(text).digest().readUInt32LE(0));
  const v: number[] = [];
  while (v.length < dimensions) {
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const theta = 2 * Math.PI * random();
    v.push(r * Math.cos(theta), r * Math.sin(theta));
  }
  v.length = dimensions;
  const norm = Math.hypot(...v);
  // Float32 rounding as the wire format carries it, so float and base64 answers are the same vector
  return v.map((x) => Math.fround(x / norm));
}

/** OpenAI's base64 format: the little-endian float32 bytes of the vector. */
export function toBase64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((x, i) => bytes.writeFloatLE(x, i * 4));
  return bytes.toString('base64');
}

interface EmbeddingParams {
  readonly model: string;
  readonly inputs: readonly string[];
  readonly base64: boolean;
  readonly dimensions: number;
}

function parse(
  body: Record<string, unknown>,
  models: readonly string[],
): EmbeddingParams | { status: number; type: string; param: string; message: string } {
  const { model, input, encoding_format: format, dimensions } = body;
  if (typeof model !== 'string' || !models.includes(model))
    return {
      status: 404,
      type: 'model_not_found',
      param: 'model',
      message: `embedding model '${String(model)}' is not served here`,
    };
  const inputs = typeof input === 'string' ? [input] : input;
  if (
    !Array.isArray(inputs) ||
    inputs.length === 0 ||
    inputs.length > MAX_INPUTS ||
    !inputs.every((s): s is string => typeof s === 'string' && s.length > 0)
  )
    return {
      status: 400,
      type: 'invalid_request_error',
      param: 'input',
      message: `input must be a non-empty string or an array of 1 to ${MAX_INPUTS} of them`,
    };
  if (format !== undefined && format !== null && format !== 'float' && format !== 'base64')
    return {
      status: 400,
      type: 'invalid_request_error',
      param: 'encoding_format',
      message: "encoding_format must be 'float' or 'base64'",
    };
  const dims = dimensions ?? DEFAULT_EMBEDDING_DIMENSIONS;
  if (typeof dims !== 'number' || !Number.isInteger(dims) || dims < 1 || dims > MAX_EMBEDDING_DIMENSIONS)
    return {
      status: 400,
      type: 'invalid_request_error',
      param: 'dimensions',
      message: `dimensions must be an integer from 1 to ${MAX_EMBEDDING_DIMENSIONS}`,
    };
  return { model, inputs, base64: format === 'base64', dimensions: dims };
}

export async function embeddings(ctx: SiteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJson(req, res, ctx.headers);
  if (body) ctx.last.embeddings = body;
  if (!body || injectedFault(ctx, res)) return;
  const params = parse(body, ctx.embeddingModels);
  if ('status' in params)
    return openAiError(res, params.status, params.type, params.message, ctx.headers, params.param);

  const tokens = params.inputs.reduce((sum, text) => sum + countTextTokens(text), 0);
  const entry = ctx.meter.begin(idempotencyKey(ctx, req), reported(ctx, tokens));
  if (!(await pause(ctx.behaviour.ttftMs, disconnectSignal(res)))) {
    ctx.stats.cancelled++;
    return entry.finish('cancelled', 0);
  }
  const data = params.inputs.map((text, index) => {
    const vector = embed(text, params.dimensions);
    return { object: 'embedding', index, embedding: params.base64 ? toBase64(vector) : vector };
  });
  ctx.stats.embeddings++;
  ctx.stats.embeddingTokens += tokens;
  entry.finish('completed', 0);
  sendJson(
    res,
    200,
    {
      object: 'list',
      data,
      model: params.model,
      usage: { prompt_tokens: reported(ctx, tokens), total_tokens: reported(ctx, tokens) },
    },
    ctx.headers,
  );
}
