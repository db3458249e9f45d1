/**
 * The API's HTTP server: tRPC over plain JSON (no transformer, so curl works) under /trpc, the
 * OpenAI-compatible surface under /v1, the web console's static build under /console, statements'
 * signed exchange files under /exchange/statements/, and an unauthenticated liveness probe at /health.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { TokenCountPool } from '@federa/tokenizer/pool';
import { createHttpContextFactory, type ApiDeps, type RequestLimits, type ServedDeps } from './context';
import { correlationIdOf, isInternal } from './errors';
import { createOpenAiHandler } from './openai';
import { CONSOLE_PATH, createConsoleHandler } from './console/static';
import { assertExchangeKeyApart } from './exchange/exchange-key';
import { EXCHANGE_PATH, createExchangeHandler } from './exchange/route';
import { appRouter } from './root';
import { CLEARING_JWKS_PATH, EXCHANGE_JWKS_PATH } from './well-known';

export const MAX_BODY_BYTES = 1024 * 1024;

/** Protection against slow or greedy clients; defaults below, the API's config sets them. */
export interface ServerLimits {
  /** a client must have sent its headers within this (slowloris) */
  readonly headersTimeoutMs: number;
  /** … and its whole request within this */
  readonly requestTimeoutMs: number;
  /** open connections beyond this are closed at once */
  readonly maxConnections: number;
  /** token-counting worker threads */
  readonly countWorkers: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxConnections: 8_192,
  countWorkers: 2,
};

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  // ~64k tokens of ordinary text; a body may be 1 MiB, but counting that much is not free
  maxPromptChars: 256 * 1024,
  countDeadlineMs: 2_000,
  requestIdWindowMs: 7 * 24 * 3_600_000,
};

export interface ApiServer {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

export async function startApiServer(
  deps: ApiDeps,
  opts: { host?: string; port?: number } = {},
): Promise<ApiServer> {
  // main.ts checked the key file already; this holds for every embedder (tests, other entry points)
  if (deps.settlement.exchangeKey)
    await assertExchangeKeyApart(deps.settlement.exchangeKey, deps.settlement.jwks, 'the exchange key');
  const limits = { ...DEFAULT_SERVER_LIMITS, ...deps.serverLimits };
  const requestLimits = { ...DEFAULT_REQUEST_LIMITS, ...deps.requestLimits };
  const ownCounter = deps.tokenCounter
    ? undefined
    : new TokenCountPool({
        size: limits.countWorkers,
        deadlineMs: requestLimits.countDeadlineMs,
        // a burst of requests waits here (their bodies are in memory already); admission bounds the rest
        maxQueued: 10_000,
      });
  const served: ServedDeps = { ...deps, tokenCounter: deps.tokenCounter ?? ownCounter!, requestLimits };
  const trpc = createHTTPHandler({
    router: appRouter,
    createContext: createHttpContextFactory(served),
    basePath: '/trpc/',
    maxBodySize: MAX_BODY_BYTES,
    // one procedure per HTTP request: a batch would let one request fan out into many
    allowBatching: false,
    // a query may also be POSTed, its input in the body: a large one (a candidate routing policy
    // for policy.preview) would not fit the URL. Credentials are bearer headers, never cookies, so
    // a cross-site form gains nothing from it; mutations still take POST only.
    allowMethodOverride: true,
    onError({ error, path }) {
      if (isInternal(error))
        deps.log.error(
          { err: error.cause ?? error, path, correlationId: correlationIdOf(error) },
          'internal error',
        );
    },
  });
  const openai = createOpenAiHandler(served, { maxBodyBytes: MAX_BODY_BYTES });
  const exchange = createExchangeHandler(deps);
  const consoleApp = deps.consoleDir ? createConsoleHandler(deps.consoleDir) : undefined;
  if (deps.consoleDir && !consoleApp)
    deps.log.warn(
      { dir: deps.consoleDir },
      'no console build there; /console is off (npm run build -w @federa/console)',
    );
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // how often Node checks those timeouts: often enough that a short limit holds
      connectionsCheckingInterval: Math.max(100, Math.min(limits.headersTimeoutMs, 1_000)),
    },
    (req, res) => {
      if (req.url === CLEARING_JWKS_PATH || req.url === EXCHANGE_JWKS_PATH) {
        // public keys only: anyone may verify a statement, or an exchange file, offline
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
        res.end(
          JSON.stringify(
            req.url === CLEARING_JWKS_PATH ? deps.settlement.jwks : deps.settlement.exchangeJwks,
          ),
        );
        return;
      }
      if (req.url === '/health') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"status":"ok"}');
        return;
      }
      if (req.url?.startsWith('/v1/')) {
        openai(req, res);
        return;
      }
      if (req.url?.startsWith('/trpc/')) {
        trpc(req, res);
        return;
      }
      if (req.url?.startsWith(EXCHANGE_PATH)) {
        exchange(req, res);
        return;
      }
      if (consoleApp && (req.url === CONSOLE_PATH || req.url?.startsWith(`${CONSOLE_PATH}/`))) {
        consoleApp(req, res);
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { message: 'not found; the API is under /trpc/', data: { federaCode: 'NOT_FOUND' } },
        }),
      );
    },
  );
  server.keepAliveTimeout = 30_000;
  server.maxConnections = limits.maxConnections;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // a deep accept queue: bursts of new connections wait for the event loop instead of being reset
    server.listen({ port: opts.port ?? 0, host, backlog: 4096 }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host}:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await ownCounter?.close();
    },
  };
}
