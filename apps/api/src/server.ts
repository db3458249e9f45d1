/**
 * The API's HTTP server: tRPC over plain JSON (no transformer, so curl works) under /trpc, and an
 * unauthenticated liveness probe at /health.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { createHttpContextFactory, type ApiDeps } from './context';
import { appRouter } from './root';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface ApiServer {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

export async function startApiServer(
  deps: ApiDeps,
  opts: { host?: string; port?: number } = {},
): Promise<ApiServer> {
  const trpc = createHTTPHandler({
    router: appRouter,
    createContext: createHttpContextFactory(deps),
    basePath: '/trpc/',
    maxBodySize: MAX_BODY_BYTES,
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR')
        deps.log.error({ err: error.cause ?? error, path }, 'internal error');
    },
  });
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/federa-clearing-jwks.json') {
      // public keys only: anyone may verify a statement offline
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
      res.end(JSON.stringify(deps.settlement.jwks));
      return;
    }
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
      return;
    }
    if (req.url?.startsWith('/trpc/')) {
      trpc(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        error: { message: 'not found; the API is under /trpc/', data: { federaCode: 'NOT_FOUND' } },
      }),
    );
  });
  server.keepAliveTimeout = 30_000;
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
