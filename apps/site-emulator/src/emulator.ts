/**
 * An OpenAI-compatible GPU site, emulated: chat completions (plain and SSE streaming), embeddings,
 * a usage meter by Idempotency-Key, model list and health, with configurable time to first token,
 * throughput, error rate, mid-stream crashes and hangs, and a down switch. Token counts come from
 * the same BPE tokenizer the control plane sizes holds with.
 *
 * Control endpoints under /_emulator/ stay reachable while the site is "down", so tests can flip it;
 * they need `Authorization: Bearer <controlToken>` (anyone who can reach a site must not be able to
 * switch it off or read its counters).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chatCompletions } from './chat';
import { DEFAULT_BEHAVIOUR, type EmulatorBehaviour, type EmulatorStats, type SiteContext } from './context';
import { embeddings } from './embeddings';
import { bearerMatches, openAiError, readBody, sendJson } from './http';
import { SeenKeys } from './seen-keys';
import { UsageMeter } from './usage-meter';
import { hash, prng } from './seeds';

export type { EmulatorBehaviour, EmulatorStats } from './context';
export type { UsageRecord, UsageState } from './usage-meter';

export interface EmulatorOptions {
  readonly siteId: string;
  readonly jurisdiction: string;
  /** models served; those also listed in embeddingModels are served as embedding models only */
  readonly models: readonly string[];
  /** embedding models served (default: DEFAULT_EMBEDDING_MODELS) */
  readonly embeddingModels?: readonly string[];
  readonly host?: string;
  readonly port?: number;
  readonly behaviour?: Partial<EmulatorBehaviour>;
  readonly seed?: number;
  /** bearer token for /_emulator/*; a random one (see SiteEmulator.controlToken) when absent */
  readonly controlToken?: string;
  /** how many Idempotency-Keys the site remembers, for duplicates and for its usage meter */
  readonly maxSeenKeys?: number;
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
  /**
   * the body of the last chat completion or embeddings request the site received (in process only:
   * what a test's site was actually asked, prompt included; never served over HTTP)
   */
  lastRequest(kind: 'chat' | 'embeddings'): Record<string, unknown> | undefined;
  /**
   * the W3C `traceparent` headers of the latest chat and embeddings requests, oldest first (the
   * last TRACEPARENTS_KEPT; in process only): a test's proof that the trace reached the site
   */
  traceparents(): readonly string[];
  close(): Promise<void>;
}

/** enough for any test or demo run to see its duplicates; ~100 bytes a key, so ~10 MB at most */
export const DEFAULT_MAX_SEEN_KEYS = 100_000;
export const DEFAULT_EMBEDDING_MODELS: readonly string[] = ['federa-embed-1'];
export const TRACEPARENTS_KEPT = 100;

export async function startSiteEmulator(opts: EmulatorOptions): Promise<SiteEmulator> {
  const embeddingModels = opts.embeddingModels ?? DEFAULT_EMBEDDING_MODELS;
  const maxKeys = opts.maxSeenKeys ?? DEFAULT_MAX_SEEN_KEYS;
  const ctx: SiteContext = {
    siteId: opts.siteId,
    jurisdiction: opts.jurisdiction,
    chatModels: opts.models.filter((m) => !embeddingModels.includes(m)),
    embeddingModels,
    behaviour: { ...DEFAULT_BEHAVIOUR, ...opts.behaviour },
    stats: {
      siteId: opts.siteId,
      requests: 0,
      completions: 0,
      cancelled: 0,
      embeddings: 0,
      errors: 0,
      refused: 0,
      probes: 0,
      usageQueries: 0,
      duplicates: 0,
      trackedKeys: 0,
      promptTokens: 0,
      completionTokens: 0,
      embeddingTokens: 0,
    },
    meter: new UsageMeter(maxKeys),
    seenKeys: new SeenKeys(maxKeys),
    headers: { 'x-federa-site': opts.siteId, 'x-federa-jurisdiction': opts.jurisdiction },
    random: prng(opts.seed ?? hash(opts.siteId)),
    last: {},
  };
  const { behaviour, stats } = ctx;
  const controlToken = opts.controlToken ?? randomBytes(24).toString('base64url');
  if (controlToken.length < 16)
    throw new Error('the emulator control token must have at least 16 characters');

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

  /**
   * GET /v1/usage/{key}: what the site did for a request key. Open like the completions, since the
   * emulator has no client credentials at all; a real site would put it behind its own credential.
   */
  function usage(res: ServerResponse, encodedKey: string): void {
    let key: string;
    try {
      key = decodeURIComponent(encodedKey);
    } catch {
      return openAiError(
        res,
        400,
        'invalid_request_error',
        'the key is not valid percent-encoding',
        ctx.headers,
      );
    }
    const record = ctx.meter.get(key);
    if (!record) return openAiError(res, 404, 'not_found', 'no usage recorded for this key', ctx.headers);
    sendJson(res, 200, record, ctx.headers);
  }

  const traceparents: string[] = [];
  function noteTraceparent(header: string | string[] | undefined): void {
    if (typeof header !== 'string') return;
    traceparents.push(header);
    if (traceparents.length > TRACEPARENTS_KEPT) traceparents.shift();
  }

  function handle(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (path === '/health' || path === '/healthz') {
      return sendJson(
        res,
        200,
        { status: 'ok', site: opts.siteId, jurisdiction: opts.jurisdiction },
        ctx.headers,
      );
    }
    if (path === '/v1/models' && req.method === 'GET') {
      const ids = [...new Set([...ctx.chatModels, ...embeddingModels])];
      const data = ids.map((id) => ({ id, object: 'model', created: 0, owned_by: opts.siteId }));
      return sendJson(res, 200, { object: 'list', data }, ctx.headers);
    }
    if (path.startsWith('/v1/usage/') && req.method === 'GET')
      return usage(res, path.slice('/v1/usage/'.length));
    const handler =
      path === '/v1/chat/completions' ? chatCompletions : path === '/v1/embeddings' ? embeddings : undefined;
    if (handler && req.method === 'POST') {
      noteTraceparent(req.headers.traceparent);
      handler(ctx, req, res).catch(() => {
        stats.errors++;
        if (!res.headersSent) openAiError(res, 500, 'server_error', 'internal error', ctx.headers);
        else res.destroy();
      });
      return;
    }
    openAiError(res, 404, 'not_found', `no route ${req.method} ${path}`, ctx.headers);
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith('/_emulator/')) {
      control(req, res, path).catch((err: Error) => openAiError(res, 500, 'server_error', err.message));
      return;
    }
    // probes and meter look-ups are counted apart, so `requests` says whether any work reached the site
    if (path === '/health' || path === '/healthz') stats.probes++;
    else if (path.startsWith('/v1/usage/')) stats.usageQueries++;
    else stats.requests++;
    if (behaviour.down) {
      stats.refused++;
      req.socket.destroy();
      return;
    }
    handle(req, res, path);
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
    lastRequest: (kind) => ctx.last[kind],
    traceparents: () => [...traceparents],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
