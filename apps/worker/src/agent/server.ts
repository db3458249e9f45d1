/**
 * A site agent's data-plane endpoint: the API posts a sealed prompt here, the agent (the only holder
 * of its jurisdiction's key) opens it, streams the completion from its site and relays it back as
 * NDJSON frames (workflows/src/served/agent-protocol.ts), then reports the usage to the request's workflow. One server per
 * agent process serves every site the process hosts.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import { openWith } from '@federa/sealing';
import { relayChat, RelayRefused } from './chat-relay';
import { relayEmbeddings } from './embeddings-relay';
import {
  AGENT_CHAT_PATH,
  AGENT_EMBEDDINGS_PATH,
  type AgentChatRequest,
  type AgentEmbeddingsRequest,
  type AgentFrame,
  type AgentRefusal,
} from '@federa/workflows';
import { inSpan } from '@federa/telemetry';
import { annotate, inRequestSpan, siteSpan } from './tracing';
import {
  countedAsk,
  countRequest,
  observeSiteTtft,
  type AgentServerMetrics,
  type RelayKind,
} from './agent-metrics';
import type { GrantClient } from './grant-client';
import type { UsageReporter } from './reporter';

export interface HostedSite {
  readonly siteId: string;
  readonly jurisdiction: string;
  readonly endpoint: string;
  /** this jurisdiction's private payload key; absent where sealing is off */
  readonly openingKey?: JWK | undefined;
}

export interface AgentServerOptions {
  /** the site this process hosts an agent for, or undefined */
  readonly hosted: (siteId: string) => HostedSite | undefined;
  /** the bearer token the API presents (a shared secret of the federation's own processes) */
  readonly token: string;
  readonly reporter: UsageReporter;
  /** asks the requests' workflows for further slices of their output grants */
  readonly grants?: GrantClient | undefined;
  readonly host?: string;
  readonly port?: number;
  /** largest request body (a sealed prompt), bytes */
  readonly maxBodyBytes?: number;
  readonly onError?: (err: unknown) => void;
  /**
   * What the router reads of a site, fed from the data plane as the old dispatch activity fed it:
   * the requests in flight there (load), and whether the site answered (its circuit breaker).
   */
  readonly onInflight?: (siteId: string, delta: number) => Promise<void>;
  readonly onOutcome?: (siteId: string, ok: boolean) => Promise<void>;
  /** requests, site TTFT, grant slices and residency refusals (absent: nothing recorded) */
  readonly metrics?: AgentServerMetrics | undefined;
}

export interface AgentServer {
  readonly url: string;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY = 4 * 1024 * 1024;

/** Failures that are the site's, not the request's: they count against its circuit. */
const SITE_FAULTS = new Set(['SITE_UNAVAILABLE', 'SITE_TIMEOUT']);

/** Load and health are advisory: a Redis hiccup there never fails the request. */
const advise = (update: Promise<void> | undefined) => void update?.catch(() => undefined);

function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = Buffer.from(/^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function refuse(res: ServerResponse, status: number, refusal: AgentRefusal): void {
  annotate({ outcome: refusal.code });
  const body = JSON.stringify(refusal);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startAgentServer(opts: AgentServerOptions): Promise<AgentServer> {
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;

  /** Counts a relayed request's outcome once: the first code given wins. */
  function outcomeCounter(siteId: string, kind: RelayKind): (code: string) => void {
    let done = false;
    return (code) => {
      if (done) return;
      done = true;
      countRequest(opts.metrics, siteId, kind, code);
    };
  }

  /** The hosted site the request is for, if this agent may serve it here; otherwise refused. */
  function admissible(
    res: ServerResponse,
    body: { siteId?: unknown; allowedJurisdictions?: unknown },
    kind: RelayKind,
  ): HostedSite | undefined {
    const site = typeof body.siteId === 'string' ? opts.hosted(body.siteId) : undefined;
    if (!site) {
      refuse(res, 404, {
        code: 'NO_AGENT',
        message: `no agent for site '${String(body.siteId)}' here`,
        final: false,
        mayHaveServed: false,
      });
      return undefined;
    }
    // the last line of defence behind the router's hard filter
    if (!Array.isArray(body.allowedJurisdictions) || !body.allowedJurisdictions.includes(site.jurisdiction)) {
      countRequest(opts.metrics, site.siteId, kind, 'RESIDENCY_VIOLATION');
      refuse(res, 403, {
        code: 'RESIDENCY_VIOLATION',
        message: `site '${site.siteId}' (${site.jurisdiction}) is outside the request's residency`,
        final: true,
        mayHaveServed: false,
      });
      return undefined;
    }
    return site;
  }

  /** The payload exists in clear only here, inside the site's jurisdiction, for the length of the call. */
  async function opened<T>(
    res: ServerResponse,
    site: HostedSite,
    sealed: unknown,
    clear: T,
  ): Promise<T | undefined> {
    try {
      return sealed ? (JSON.parse(await openWith(sealed as never, requireKey(site))) as T) : clear;
    } catch {
      refuse(res, 400, {
        code: 'SITE_REJECTED',
        message: `agent of '${site.siteId}' cannot open the request`,
        final: true,
        mayHaveServed: false,
      });
      return undefined;
    }
  }

  async function embeddings(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await readJson(req, maxBody)) as AgentEmbeddingsRequest;
    annotate(body);
    const site = admissible(res, body, 'embeddings');
    if (!site) return;
    // counted once, as soon as the answer is out; a throw is the agent's INTERNAL
    const outcome = outcomeCounter(site.siteId, 'embeddings');
    try {
      await relayEmbeddingsFor(site, body, res, outcome);
    } finally {
      outcome('INTERNAL');
    }
  }

  /** Relay an admitted embeddings request, counting its outcome code. */
  async function relayEmbeddingsFor(
    site: HostedSite,
    body: AgentEmbeddingsRequest,
    res: ServerResponse,
    counted: (code: string) => void,
  ): Promise<void> {
    const input = await opened<readonly string[]>(res, site, body.sealedInput, body.input ?? []);
    if (!input) return counted('SITE_REJECTED');
    const clientGone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) clientGone.abort();
    });
    let outcome;
    advise(opts.onInflight?.(site.siteId, 1));
    try {
      outcome = await inSpan('site.embeddings', siteSpan(site), () =>
        relayEmbeddings(site, body, input, clientGone.signal),
      );
      advise(opts.onOutcome?.(site.siteId, true));
    } catch (err) {
      if (err instanceof RelayRefused) {
        if (SITE_FAULTS.has(err.refusal.code)) advise(opts.onOutcome?.(site.siteId, false));
        refuse(res, 502, err.refusal);
        return counted(err.refusal.code);
      }
      throw err;
    } finally {
      advise(opts.onInflight?.(site.siteId, -1));
    }
    const reported = opts.reporter.report(body.workflowId, outcome.report);
    const payload = JSON.stringify(outcome);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
    counted('OK');
    await reported;
  }

  async function chat(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await readJson(req, maxBody)) as AgentChatRequest;
    annotate(body);
    const site = admissible(res, body, 'chat');
    if (!site) return;
    const outcome = outcomeCounter(site.siteId, 'chat');
    try {
      await relayChatFor(site, body, res, outcome);
    } finally {
      outcome('INTERNAL');
    }
  }

  /** Relay an admitted chat request, counting its outcome (OK or the code the stream ended with). */
  async function relayChatFor(
    site: HostedSite,
    body: AgentChatRequest,
    res: ServerResponse,
    counted: (code: string) => void,
  ): Promise<void> {
    const messages = await opened<{ role: string; content: string }[]>(res, site, body.sealedMessages, [
      ...(body.messages ?? []),
    ]);
    if (!messages) return counted('SITE_REJECTED');
    const clientGone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) clientGone.abort();
    });
    const write = (frame: AgentFrame) => res.write(`${JSON.stringify(frame)}\n`);
    let outcome;
    advise(opts.onInflight?.(site.siteId, 1));
    try {
      outcome = await inSpan('site.chat', siteSpan(site), () =>
        relayChat(
          site,
          body,
          messages,
          {
            open: () =>
              res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' }),
            delta: (c) => void write({ t: 'delta', c }),
          },
          clientGone.signal,
          body.maxTokens !== undefined && body.maxTokens > body.grantTokens
            ? countedAsk(opts.metrics, site.siteId, opts.grants?.forWorkflow(body.workflowId))
            : undefined,
        ),
      );
      observeSiteTtft(opts.metrics, site.siteId, outcome.report.networkMs);
      // a site that broke off mid-stream (or flooded it) failed; one that served, answered
      advise(opts.onOutcome?.(site.siteId, !outcome.report.flags.includes('SITE_FAILED_MID_STREAM')));
    } catch (err) {
      if (err instanceof RelayRefused) {
        if (SITE_FAULTS.has(err.refusal.code)) advise(opts.onOutcome?.(site.siteId, false));
        refuse(res, 502, err.refusal);
        return counted(err.refusal.code);
      }
      throw err;
    } finally {
      advise(opts.onInflight?.(site.siteId, -1));
    }
    // the report goes to the workflow whether or not the API still listens
    const reported = opts.reporter.report(body.workflowId, outcome.report);
    if (!res.destroyed) {
      write({ t: 'end', report: outcome.report, ...(outcome.code ? { code: outcome.code } : {}) });
      res.end();
    }
    counted(outcome.code ?? 'OK');
    await reported;
  }

  function requireKey(site: HostedSite): JWK {
    if (!site.openingKey) throw new Error('no payload key');
    return site.openingKey;
  }

  const server: Server = createServer((req, res) => {
    if (!bearerMatches(req.headers.authorization, opts.token)) {
      return refuse(res, 401, {
        code: 'UNAUTHENTICATED',
        message: 'agent token required',
        final: true,
        mayHaveServed: false,
      });
    }
    if (req.method === 'POST' && req.url === AGENT_CHAT_PATH) {
      inRequestSpan(req, 'agent.chat', () => chat(req, res)).catch((err: unknown) => {
        opts.onError?.(err);
        if (!res.headersSent)
          refuse(res, 500, { code: 'INTERNAL', message: 'agent error', final: false, mayHaveServed: true });
        else res.destroy();
      });
      return;
    }
    if (req.method === 'POST' && req.url === AGENT_EMBEDDINGS_PATH) {
      inRequestSpan(req, 'agent.embeddings', () => embeddings(req, res)).catch((err: unknown) => {
        opts.onError?.(err);
        if (!res.headersSent)
          refuse(res, 500, { code: 'INTERNAL', message: 'agent error', final: false, mayHaveServed: true });
        else res.destroy();
      });
      return;
    }
    refuse(res, 404, {
      code: 'NOT_FOUND',
      message: 'no such agent endpoint',
      final: true,
      mayHaveServed: false,
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1', backlog: 4096 }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
