/**
 * An OpenAI-compatible GPU site, emulated: chat completions (plain and SSE streaming), model list and
 * health, with configurable time to first token, throughput, error rate and a down switch. Token
 * counts come from the same BPE tokenizer the control plane sizes holds with.
 *
 * Control endpoints under /_emulator/ stay reachable while the site is "down", so tests can flip it;
 * they need `Authorization: Bearer <controlToken>` (anyone who can reach a site must not be able to
 * switch it off or read its counters).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { countChatTokens, chunkByTokens, syntheticCompletion } from '@federa/tokenizer';
import { SeenKeys } from './seen-keys';

export interface EmulatorBehaviour {
  ttftMs: number;
  tokensPerSecond: number;
  /** probability of answering 503 */
  errorRate: number;
  /** a down site resets every connection (except control endpoints) */
  down: boolean;
  /** output length when max_tokens allows it */
  completionTokens: number;
  /** force one HTTP status for completions (e.g. 500), or 0 for normal behaviour */
  forceStatus: number;
  /** answer HTTP 500 to this many completions, then recover */
  failNext: number;
  /** a dishonest site: the usage it reports is multiplied by this (1 = honest) */
  usageInflation: number;
}

export interface EmulatorOptions {
  readonly siteId: string;
  readonly jurisdiction: string;
  readonly models: readonly string[];
  readonly host?: string;
  readonly port?: number;
  readonly behaviour?: Partial<EmulatorBehaviour>;
  readonly seed?: number;
  /** bearer token for /_emulator/*; a random one (see SiteEmulator.controlToken) when absent */
  readonly controlToken?: string;
  /** how many Idempotency-Keys the site remembers (least recently seen forgotten first) */
  readonly maxSeenKeys?: number;
}

export interface EmulatorStats {
  siteId: string;
  requests: number;
  completions: number;
  errors: number;
  refused: number;
  /** health probes received */
  probes: number;
  /** completions whose Idempotency-Key had been served before (and was still remembered) */
  duplicates: number;
  /** Idempotency-Keys remembered right now (at most maxSeenKeys) */
  trackedKeys: number;
  promptTokens: number;
  completionTokens: number;
}

export interface SiteEmulator {
  readonly siteId: string;
  readonly url: string;
  readonly port: number;
  /** the bearer token its control endpoints require */
  readonly controlToken: string;
  behaviour(): EmulatorBehaviour;
  configure(patch: Partial<EmulatorBehaviour>): EmulatorBehaviour;
  stats(): EmulatorStats;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** enough for any test or demo run to see its duplicates; ~100 bytes a key, so ~10 MB at most */
export const DEFAULT_MAX_SEEN_KEYS = 100_000;

/** constant-time comparison of `Authorization: Bearer <token>` with the expected token */
function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = Buffer.from(/^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/** mulberry32: a tiny seeded PRNG, so fault injection is reproducible */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

function openAiError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
) {
  sendJson(res, status, { error: { message, type, code: type } }, headers);
}

function isChatMessage(m: unknown): m is { role: string; content: string } {
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof (m as { role?: unknown }).role === 'string' &&
    typeof (m as { content?: unknown }).content === 'string'
  );
}

interface ChatRequest {
  model?: unknown;
  messages?: unknown;
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown };
}

export async function startSiteEmulator(opts: EmulatorOptions): Promise<SiteEmulator> {
  const behaviour: EmulatorBehaviour = {
    ttftMs: 20,
    tokensPerSecond: 2000,
    errorRate: 0,
    down: false,
    completionTokens: 32,
    forceStatus: 0,
    failNext: 0,
    usageInflation: 1,
    ...opts.behaviour,
  };
  const random = prng(opts.seed ?? hash(opts.siteId));
  const stats: EmulatorStats = {
    siteId: opts.siteId,
    requests: 0,
    completions: 0,
    errors: 0,
    refused: 0,
    probes: 0,
    duplicates: 0,
    trackedKeys: 0,
    promptTokens: 0,
    completionTokens: 0,
  };
  const seenKeys = new SeenKeys(opts.maxSeenKeys ?? DEFAULT_MAX_SEEN_KEYS);
  const controlToken = opts.controlToken ?? randomBytes(24).toString('base64url');
  if (controlToken.length < 16)
    throw new Error('the emulator control token must have at least 16 characters');
  const siteHeaders = { 'x-federa-site': opts.siteId, 'x-federa-jurisdiction': opts.jurisdiction };

  async function completions(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: ChatRequest;
    try {
      body = JSON.parse(await readBody(req)) as ChatRequest;
    } catch (err) {
      const status = (err as { status?: number }).status ?? 400;
      return openAiError(
        res,
        status,
        'invalid_request_error',
        status === 413 ? 'body too large' : 'body is not valid JSON',
        siteHeaders,
      );
    }
    if (behaviour.failNext > 0) {
      behaviour.failNext--;
      stats.errors++;
      return openAiError(res, 500, 'server_error', 'transient failure (injected)', siteHeaders);
    }
    if (behaviour.forceStatus) {
      stats.errors++;
      return openAiError(res, behaviour.forceStatus, 'server_error', 'forced failure', siteHeaders);
    }
    if (behaviour.errorRate > 0 && random() < behaviour.errorRate) {
      stats.errors++;
      return openAiError(res, 503, 'server_error', 'the site is overloaded (injected fault)', siteHeaders);
    }
    if (typeof body.model !== 'string' || !opts.models.includes(body.model)) {
      return openAiError(
        res,
        404,
        'model_not_found',
        `model '${String(body.model)}' is not served here`,
        siteHeaders,
      );
    }
    const messages: unknown = body.messages;
    if (!Array.isArray(messages) || messages.length === 0 || !messages.every(isChatMessage)) {
      return openAiError(
        res,
        400,
        'invalid_request_error',
        'messages must be a non-empty array of {role, content}',
        siteHeaders,
      );
    }
    const maxTokens = Number(body.max_tokens ?? body.max_completion_tokens ?? 256);
    if (!Number.isInteger(maxTokens) || maxTokens < 1) {
      return openAiError(
        res,
        400,
        'invalid_request_error',
        'max_tokens must be a positive integer',
        siteHeaders,
      );
    }

    const key = req.headers['idempotency-key'];
    if (typeof key === 'string') {
      if (seenKeys.see(key)) stats.duplicates++;
      stats.trackedKeys = seenKeys.size;
    }
    const started = performance.now();
    const promptTokens = countChatTokens(messages);
    const promptText = messages.map((m) => m.content).join('\n');
    const target = Math.min(maxTokens, behaviour.completionTokens);
    const output = syntheticCompletion(target, hash(promptText));
    const finishReason = target < behaviour.completionTokens ? 'length' : 'stop';
    const id = `chatcmpl-${opts.siteId}-${stats.requests}`;
    const created = Math.floor(Date.now() / 1000);
    const reported = (n: number) => Math.round(n * behaviour.usageInflation);
    const usage = {
      prompt_tokens: reported(promptTokens),
      completion_tokens: reported(output.tokens),
      total_tokens: reported(promptTokens) + reported(output.tokens),
    };
    const generationMs = (output.tokens / behaviour.tokensPerSecond) * 1000;
    const base = { id, created, model: body.model, system_fingerprint: `federa-site-${opts.siteId}` };

    if (body.stream === true) {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        ...siteHeaders,
      });
      await sleep(behaviour.ttftMs);
      const chunks = chunkByTokens(output.text, 4);
      const perChunkMs = chunks.length > 0 ? generationMs / chunks.length : 0;
      const send = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);
      send({
        ...base,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      });
      for (const piece of chunks) {
        if (perChunkMs >= 1) await sleep(perChunkMs);
        send({
          ...base,
          object: 'chat.completion.chunk',
          choices: [{ index: 0, delta: { content: piece }, finish_reason: null }],
        });
      }
      send({
        ...base,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: {}, finish_reason: finishReason }],
      });
      if (body.stream_options?.include_usage === true) {
        send({ ...base, object: 'chat.completion.chunk', choices: [], usage });
      }
      res.end('data: [DONE]\n\n');
    } else {
      const wait = behaviour.ttftMs + generationMs;
      if (wait >= 1) await sleep(wait);
      const elapsed = performance.now() - started;
      sendJson(
        res,
        200,
        {
          ...base,
          object: 'chat.completion',
          choices: [
            { index: 0, message: { role: 'assistant', content: output.text }, finish_reason: finishReason },
          ],
          usage,
          federa_site: opts.siteId,
        },
        { ...siteHeaders, 'server-timing': `gen;dur=${elapsed.toFixed(2)}` },
      );
    }
    stats.completions++;
    stats.promptTokens += promptTokens;
    stats.completionTokens += output.tokens;
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (!bearerMatches(req.headers.authorization, controlToken)) {
      return openAiError(res, 401, 'unauthorized', 'control endpoints need the emulator control token', {
        'www-authenticate': 'Bearer',
      });
    }
    if (path === '/_emulator/stats' && req.method === 'GET') return sendJson(res, 200, stats);
    if (path === '/_emulator/config' && req.method === 'GET') return sendJson(res, 200, behaviour);
    if (path === '/_emulator/config' && req.method === 'POST') {
      try {
        return sendJson(res, 200, configure(JSON.parse(await readBody(req)) as Partial<EmulatorBehaviour>));
      } catch (err) {
        return openAiError(res, 400, 'invalid_request_error', (err as Error).message);
      }
    }
    return openAiError(res, 404, 'not_found', `no control endpoint ${req.method} ${path}`);
  }

  function configure(patch: Partial<EmulatorBehaviour>): EmulatorBehaviour {
    for (const [k, v] of Object.entries(patch)) {
      if (!(k in behaviour)) throw new Error(`unknown setting '${k}'`);
      if (typeof v !== typeof behaviour[k as keyof EmulatorBehaviour])
        throw new Error(`'${k}' has the wrong type`);
    }
    Object.assign(behaviour, patch);
    return { ...behaviour };
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith('/_emulator/')) {
      control(req, res, path).catch((err: Error) => openAiError(res, 500, 'server_error', err.message));
      return;
    }
    // health probes are counted apart, so `requests` says whether any work reached the site
    if (path === '/health' || path === '/healthz') stats.probes++;
    else stats.requests++;
    if (behaviour.down) {
      stats.refused++;
      req.socket.destroy();
      return;
    }
    if (path === '/health' || path === '/healthz') {
      return sendJson(
        res,
        200,
        { status: 'ok', site: opts.siteId, jurisdiction: opts.jurisdiction },
        siteHeaders,
      );
    }
    if (path === '/v1/models' && req.method === 'GET') {
      return sendJson(
        res,
        200,
        {
          object: 'list',
          data: opts.models.map((m) => ({ id: m, object: 'model', created: 0, owned_by: opts.siteId })),
        },
        siteHeaders,
      );
    }
    if (path === '/v1/chat/completions' && req.method === 'POST') {
      completions(req, res).catch((err: Error) => {
        stats.errors++;
        if (!res.headersSent) openAiError(res, 500, 'server_error', err.message, siteHeaders);
        else res.destroy();
      });
      return;
    }
    openAiError(res, 404, 'not_found', `no route ${req.method} ${path}`, siteHeaders);
  });
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    siteId: opts.siteId,
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    controlToken,
    behaviour: () => ({ ...behaviour }),
    configure,
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
