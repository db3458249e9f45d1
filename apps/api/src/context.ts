/**
 * Context in two parts: `createContextInner` (what tests use with createCaller) holds the
 * dependencies and the verified principal; `createHttpContext` reads the Authorization header.
 */
import type { Client } from '@temporalio/client';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import type { Logger } from 'pino';
import type { ApiKeyAuthenticator, Principal, VerifyToken } from '@federa/auth';
import { FederaError, type TopologyIndex } from '@federa/domain';
import type { Ledger } from '@federa/ledger';
import type { Registry } from '@federa/registry';
import type { SettlementConfig, SettlementStore } from '@federa/settlement';
import type { JSONWebKeySet, JWK } from 'jose';
import type { Observations, SiteHealth } from '@federa/workflows';
import type { ChatMessageLike } from '@federa/tokenizer';
import type { Admission } from './admission';
import type { AuditLog } from './audit';
import { authenticate } from './authenticate';
import type { DataPlane } from './dataplane/types';
import type { ApiMetrics } from './metrics/api-metrics';
import type { ServerLimits } from './server';

export interface ApiDeps {
  readonly temporal: Client;
  readonly ledger: Ledger;
  readonly topology: () => Promise<TopologyIndex>;
  readonly registry: Registry;
  readonly observations: Observations;
  readonly health: SiteHealth;
  readonly controlTaskQueue: string;
  readonly verify: VerifyToken;
  /** API keys (`Bearer fed_…`); default: a store on the ledger's Redis with a 1 s lookup cache */
  readonly apiKeys?: ApiKeyAuthenticator | undefined;
  readonly log: Logger;
  /** back-pressure on request workflows */
  readonly admission: Admission;
  readonly audit: AuditLog;
  /** prompts and completions over HTTP streams (absent: the /v1 surface answers 503) */
  readonly dataPlane?: DataPlane | undefined;
  /** token counting off the event loop (default: a worker pool the server owns) */
  readonly tokenCounter?: TokenCounter;
  readonly requestLimits?: Partial<RequestLimits>;
  /** HTTP limits against slow or greedy clients (defaults in server.ts) */
  readonly serverLimits?: Partial<ServerLimits>;
  /** payload sealing: each jurisdiction's public key, and the API's private key (absent = clear payloads) */
  readonly payloadKeys?:
    { readonly jurisdictions: Readonly<Record<string, JWK>>; readonly apiPrivate: JWK } | undefined;
  /** the web console's built files, served at /console (absent: no console) */
  readonly consoleDir?: string | undefined;
  /** request metrics (absent: nothing is recorded, at no cost) */
  readonly metrics?: ApiMetrics | undefined;
  readonly settlement: {
    readonly store: SettlementStore;
    /** the clearing key's public JWKS: statements are verified with it (the API never holds the private key) */
    readonly jwks: JSONWebKeySet;
    /**
     * the exchange-file private key (marked "federa-purpose": "exchange-files"), to sign exchange
     * files; without it their signatures are not served. startApiServer refuses a clearing key here.
     */
    readonly exchangeKey?: JWK;
    /** the exchange-file key's public JWKS, published for partners to verify files with */
    readonly exchangeJwks: JSONWebKeySet;
    readonly config: SettlementConfig;
    /** the federation's registry namespace (names the settlement workflows) */
    readonly namespace: string;
  };
}

/** Counts a chat's tokens off the API's event loop (a worker-thread pool in production). */
export interface TokenCounter {
  count(messages: readonly ChatMessageLike[]): Promise<number>;
  close(): Promise<void>;
}

/** Limits on what one request may make the API do; defaults in server.ts. */
export interface RequestLimits {
  /** characters (all messages' role + content) the API counts; more is PROMPT_TOO_LARGE before any work */
  readonly maxPromptChars: number;
  /** longest one token count may run on a worker */
  readonly countDeadlineMs: number;
  /** how long a request id stays bound to its body (the ledger's replay window) */
  readonly requestIdWindowMs: number;
}

/** What the procedures see: the deps with the server's defaults filled in. */
export interface ServedDeps extends ApiDeps {
  readonly tokenCounter: TokenCounter;
  readonly requestLimits: RequestLimits;
}

export interface Context {
  readonly deps: ServedDeps;
  readonly principal: Principal | null;
  /** why authentication failed, when it did */
  readonly authError: FederaError | null;
  /** set a header on the HTTP response (no-op without one, e.g. createCaller) */
  readonly setHeader: (name: string, value: string) => void;
}

export function createContextInner(
  deps: ServedDeps,
  principal: Principal | null,
  authError: FederaError | null = null,
  setHeader: (name: string, value: string) => void = () => undefined,
): Context {
  return { deps, principal, authError, setHeader };
}

export function createHttpContextFactory(deps: ServedDeps) {
  return async ({ req, res }: CreateHTTPContextOptions): Promise<Context> => {
    const setHeader = (name: string, value: string) => {
      if (!res.headersSent) res.setHeader(name, value);
    };
    try {
      return createContextInner(deps, await authenticate(deps, req.headers.authorization), null, setHeader);
    } catch (err) {
      const authError =
        err instanceof FederaError ? err : new FederaError('UNAUTHENTICATED', 'invalid token');
      return createContextInner(deps, null, authError, setHeader);
    }
  };
}
