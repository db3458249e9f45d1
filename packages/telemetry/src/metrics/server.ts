/**
 * The metrics endpoint: GET /metrics in Prometheus's text exposition format, on a listener of its
 * own (never the tenant-facing port). Loopback by default; bound elsewhere it requires a bearer
 * token (Prometheus's `authorization` scrape setting), so metrics are never an open door.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServerOptions {
  readonly registry: Registry;
  readonly host: string;
  /** 0 = any free port (tests) */
  readonly port: number;
  /** required as `Authorization: Bearer <token>` when set */
  readonly token?: string | undefined;
  /** runs before each scrape (drains buffers, reads state from Redis); its failure is logged, not fatal */
  readonly beforeScrape?: () => Promise<void>;
  readonly onError?: (err: unknown) => void;
}

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  if (!opts.token && !LOOPBACK.test(opts.host))
    throw new Error(
      `metrics on ${opts.host} need FEDERA_METRICS_TOKEN: only a loopback metrics endpoint may go without one`,
    );
  const expected = opts.token ? Buffer.from(`Bearer ${opts.token}`) : undefined;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at /metrics\n');
      return;
    }
    if (expected) {
      const presented = Buffer.from(req.headers.authorization ?? '');
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
        res
          .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' })
          .end('unauthorized\n');
        return;
      }
    }
    void (async () => {
      try {
        await opts.beforeScrape?.();
      } catch (err) {
        opts.onError?.(err);
      }
      try {
        const body = await opts.registry.metrics();
        res.writeHead(200, { 'content-type': opts.registry.contentType }).end(body);
      } catch (err) {
        opts.onError?.(err);
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port, host: opts.host }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
