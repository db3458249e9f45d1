/**
 * POST /v1/chat/completions: plain and SSE streaming. Generation is lazy and paced by the site's
 * throughput; when the client goes away it stops at once (no further chunk computed or waited for)
 * and the site meters what it actually sent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { countChatTokens } from '@federa/tokenizer';
import { idempotencyKey, injectedFault, reported, reportedCompletion, type SiteContext } from './context';
import { hash } from './seeds';
import { Generation } from './generation';
import { isParamError, parseChatRequest, type ChatParams } from './chat-request';
import { disconnectSignal, openAiError, pause, readJson, sendJson, untilAborted, writeOrAbort } from './http';
import type { UsageEntry } from './usage-meter';

/** chunks sent back to back before giving the event loop a turn (so a disconnect is noticed) */
const CHUNKS_PER_YIELD = 16;

interface Completion {
  readonly params: ChatParams;
  readonly promptTokens: number;
  readonly generation: Generation;
  readonly entry: UsageEntry;
  readonly signal: AbortSignal;
  readonly base: { id: string; created: number; model: string; system_fingerprint: string };
  /** completion tokens that went out to the client */
  sent: number;
}

export async function chatCompletions(
  ctx: SiteContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const body = await readJson(req, res, ctx.headers);
  if (body) ctx.last.chat = body;
  if (!body || injectedFault(ctx, res)) return;
  const params = parseChatRequest(body, ctx.chatModels);
  if (isParamError(params))
    return openAiError(res, params.status, params.type, params.message, ctx.headers, params.param);

  const { behaviour, stats } = ctx;
  const key = idempotencyKey(ctx, req);
  const promptTokens = countChatTokens(params.messages);
  stats.promptTokens += promptTokens;
  const natural = behaviour.completionTokens;
  const target = Math.min(params.maxTokens ?? natural, natural);
  // a failure switch caps this stream's output where the site will crash, hang or flood
  const failAfter = params.stream ? behaviour.failAfterTokens : 0;
  const stallAfter = params.stream && !failAfter ? behaviour.stallAfterTokens : 0;
  const floodAfter = params.stream && !failAfter && !stallAfter ? behaviour.floodAfterTokens : 0;
  if (failAfter) behaviour.failAfterTokens = 0;
  if (stallAfter) behaviour.stallAfterTokens = 0;
  if (floodAfter) behaviour.floodAfterTokens = 0;
  const limit = Math.min(target, failAfter || stallAfter || floodAfter || target);
  const seed = hash(params.messages.map((m) => m.content).join('\n'));
  const completion: Completion = {
    params,
    promptTokens,
    generation: new Generation(limit, natural, seed, params.stop),
    entry: ctx.meter.begin(key, reported(ctx, promptTokens)),
    signal: disconnectSignal(res),
    base: {
      id: `chatcmpl-${ctx.siteId}-${stats.requests}`,
      created: Math.floor(Date.now() / 1000),
      model: params.model,
      system_fingerprint: `federa-site-${ctx.siteId}`,
    },
    sent: 0,
  };
  if (!params.stream) return plain(ctx, res, completion);
  if (await stream(ctx, res, completion)) {
    if (failAfter) {
      // the site "crashes": the connection closes without a finish chunk, once what was sent is out
      // (destroying at once would drop the chunks still corked in the socket)
      if (res.socket) res.socket.destroySoon();
      else res.destroy();
      stats.errors++;
      return completion.entry.finish('cancelled', reportedCompletion(ctx, completion.sent));
    }
    if (stallAfter) {
      await untilAborted(completion.signal);
      return cancelled(ctx, completion);
    }
    if (floodAfter) {
      await flood(res, completion.signal);
      return cancelled(ctx, completion);
    }
    await end(ctx, res, completion);
  }
}

function completed(ctx: SiteContext, c: Completion): void {
  ctx.stats.completions++;
  c.entry.finish('completed', reportedCompletion(ctx, c.sent));
}

/** The client went away: the site stops and meters what it had sent. */
function cancelled(ctx: SiteContext, c: Completion): void {
  ctx.stats.cancelled++;
  c.entry.finish('cancelled', reportedCompletion(ctx, c.sent));
}

function usage(ctx: SiteContext, c: Completion) {
  const prompt = reported(ctx, c.promptTokens);
  const completion = reportedCompletion(ctx, c.sent);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

async function plain(ctx: SiteContext, res: ServerResponse, c: Completion): Promise<void> {
  const started = performance.now();
  const text = c.generation.rest();
  const generationMs = (c.generation.tokens / ctx.behaviour.tokensPerSecond) * 1000;
  // nothing reaches the client before the end, so a client gone during the wait gets nothing
  if (!(await pause(ctx.behaviour.ttftMs + generationMs, c.signal))) return cancelled(ctx, c);
  c.sent = c.generation.tokens;
  ctx.stats.completionTokens += c.sent;
  sendJson(
    res,
    200,
    {
      ...c.base,
      object: 'chat.completion',
      choices: [
        { index: 0, message: { role: 'assistant', content: text }, finish_reason: c.generation.finishReason },
      ],
      usage: usage(ctx, c),
      federa_site: ctx.siteId,
    },
    { ...ctx.headers, 'server-timing': `gen;dur=${(performance.now() - started).toFixed(2)}` },
  );
  completed(ctx, c);
}

const event = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`;

/** Streams the content chunks; false when the client left first (the request is then finished). */
async function stream(ctx: SiteContext, res: ServerResponse, c: Completion): Promise<boolean> {
  const { behaviour, stats } = ctx;
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...ctx.headers,
  });
  const chunk = (delta: object, finishReason: string | null = null) =>
    event({
      ...c.base,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    });
  let alive =
    (await pause(behaviour.ttftMs, c.signal)) &&
    (await writeOrAbort(res, chunk({ role: 'assistant', content: '' }), c.signal));
  const start = performance.now();
  let sinceYield = 0;
  for (let piece = alive ? c.generation.next() : undefined; piece; piece = c.generation.next()) {
    // pace by throughput: this chunk is due when the tokens up to it would have been generated
    const dueMs = start + ((c.sent + piece.tokens) / behaviour.tokensPerSecond) * 1000 - performance.now();
    if (dueMs >= 1 || ++sinceYield >= CHUNKS_PER_YIELD) {
      sinceYield = 0;
      alive = await pause(dueMs, c.signal);
    }
    // a piece computed but never sent is not metered
    alive = alive && (await writeOrAbort(res, chunk({ content: piece.text }), c.signal));
    if (!alive) break;
    c.sent += piece.tokens;
    stats.completionTokens += piece.tokens;
    c.entry.progress(reportedCompletion(ctx, c.sent));
  }
  if (!alive) cancelled(ctx, c);
  return alive;
}

/** A hostile site: one event that never ends, as fast as the client reads, until it leaves. */
async function flood(res: ServerResponse, signal: AbortSignal): Promise<void> {
  const block = 'x'.repeat(16 * 1024);
  if (!(await writeOrAbort(res, 'data: ', signal))) return;
  while (await writeOrAbort(res, block, signal));
}

async function end(ctx: SiteContext, res: ServerResponse, c: Completion): Promise<void> {
  const finishChunk = event({
    ...c.base,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: {}, finish_reason: c.generation.finishReason }],
  });
  const usageChunk = c.params.includeUsage
    ? event({ ...c.base, object: 'chat.completion.chunk', choices: [], usage: usage(ctx, c) })
    : '';
  if (!(await writeOrAbort(res, finishChunk + usageChunk, c.signal))) return cancelled(ctx, c);
  res.end('data: [DONE]\n\n');
  completed(ctx, c);
}
