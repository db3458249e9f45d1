/**
 * Context in two parts: `createContextInner` (what tests use with createCaller) holds the
 * dependencies and the verified principal; `createHttpContext` reads the Authorization header.
 */
import type { Client } from '@temporalio/client';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import type { Logger } from 'pino';
import type { Principal, VerifyToken } from '@federa/auth';
import { FederaError, type TopologyIndex } from '@federa/domain';
import type { Ledger } from '@federa/ledger';

export interface ApiDeps {
  readonly temporal: Client;
  readonly ledger: Ledger;
  readonly topology: () => TopologyIndex;
  readonly controlTaskQueue: string;
  readonly verify: VerifyToken;
  readonly log: Logger;
}

export interface Context {
  readonly deps: ApiDeps;
  readonly principal: Principal | null;
  /** why authentication failed, when it did */
  readonly authError: FederaError | null;
}

export function createContextInner(
  deps: ApiDeps,
  principal: Principal | null,
  authError: FederaError | null = null,
): Context {
  return { deps, principal, authError };
}

export function createHttpContextFactory(deps: ApiDeps) {
  return async ({ req }: CreateHTTPContextOptions): Promise<Context> => {
    const header = req.headers.authorization;
    if (!header)
      return createContextInner(
        deps,
        null,
        new FederaError('UNAUTHENTICATED', 'missing Authorization header'),
      );
    const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
    if (!match?.[1]) {
      return createContextInner(
        deps,
        null,
        new FederaError('UNAUTHENTICATED', 'Authorization must be "Bearer <jwt>"'),
      );
    }
    try {
      return createContextInner(deps, await deps.verify(match[1]));
    } catch (err) {
      const authError =
        err instanceof FederaError ? err : new FederaError('UNAUTHENTICATED', 'invalid token');
      return createContextInner(deps, null, authError);
    }
  };
}
