/**
 * The typed API client and where its credentials come from. The router type is imported as a
 * type only: the CLI talks HTTP and never loads the API's code (Temporal, Redis) at run time.
 */
import { existsSync } from 'node:fs';
import { createTRPCClient, httpLink, isTRPCClientError, type TRPCClient } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@federa/api';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, mintToken, readSigningKey, roleSchema } from '@federa/auth';

export type Client = TRPCClient<AppRouter>;
export type Inputs = inferRouterInputs<AppRouter>;
export type Outputs = inferRouterOutputs<AppRouter>;

export const DEFAULT_API = 'http://127.0.0.1:8787';
export const DEFAULT_KEY_FILE = '.data/dev/keys/signing-key.json';
/** Minted tokens serve one command; a short life limits what a leaked shell history can do. */
const MINTED_TTL = '10m';

/** A mistake in how the command was typed: exit 2 with the usage text. */
export class UsageError extends Error {}

export interface ConnectOptions {
  readonly api: string | undefined;
  readonly token: string | undefined;
  readonly as: string | undefined;
  readonly key: string | undefined;
  readonly iss: string | undefined;
  readonly aud: string | undefined;
}

export interface Connection {
  readonly client: Client;
  readonly api: string;
  /** the bearer credential, for the API's plain HTTP routes (exchange files) */
  readonly token: string;
}

export function apiUrl(flag: string | undefined): string {
  return (flag ?? process.env.FEDERA_API ?? DEFAULT_API).replace(/\/+$/, '');
}

export async function connect(opts: ConnectOptions, defaultAs: string): Promise<Connection> {
  const api = apiUrl(opts.api);
  const token = await resolveToken(opts, defaultAs);
  const client = createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${api}/trpc`, headers: () => ({ authorization: `Bearer ${token}` }) })],
  });
  return { client, api, token };
}

/**
 * --token, then an explicit --as, then FEDERA_TOKEN, then a token minted for the command's default
 * identity. An explicit --as beats the environment because a shell that exported a tenant token
 * would otherwise silently run `--as operator:x` commands as that tenant.
 */
async function resolveToken(opts: ConnectOptions, defaultAs: string): Promise<string> {
  if (opts.token !== undefined && opts.as !== undefined) {
    throw new UsageError('--token and --as are alternatives; pass one');
  }
  if (opts.token) return opts.token;
  const envToken = process.env.FEDERA_TOKEN;
  if (opts.as === undefined && envToken) return envToken;
  const { role, subject } = parseIdentity(opts.as ?? defaultAs);
  const keyFile = opts.key ?? DEFAULT_KEY_FILE;
  // Never create a key here (unlike `federa token`): a fresh key is not in the API's JWKS, so
  // every call would fail with a confusing UNAUTHENTICATED instead of this message.
  if (!existsSync(keyFile)) {
    throw new UsageError(
      `no token: pass --token, set FEDERA_TOKEN, or point --key at the API's signing key (${keyFile} not found)`,
    );
  }
  return mintToken({
    privateJwk: readSigningKey(keyFile),
    role,
    subject,
    issuer: opts.iss ?? process.env.FEDERA_JWT_ISSUER ?? DEFAULT_ISSUER,
    audience: opts.aud ?? process.env.FEDERA_JWT_AUDIENCE ?? DEFAULT_AUDIENCE,
    expiresIn: MINTED_TTL,
  });
}

export function parseIdentity(as: string): { role: 'tenant' | 'operator' | 'admin'; subject: string } {
  const colon = as.indexOf(':');
  const role = roleSchema.safeParse(as.slice(0, Math.max(0, colon)));
  const subject = as.slice(colon + 1);
  if (colon < 0 || !role.success || subject.length === 0) {
    throw new UsageError(`--as takes role:subject with role tenant, operator or admin (got '${as}')`);
  }
  return { role: role.data, subject };
}

/**
 * The one line a failed call prints: the API's stable federaCode when it sent one, tRPC's code
 * otherwise. No code at all means the request never got an API answer (down, wrong --api).
 */
export function describeError(err: unknown, api: string): string | null {
  if (!isTRPCClientError<AppRouter>(err)) return null;
  const data = err.data;
  const code = data?.federaCode ?? data?.code;
  if (code) return `${code}: ${err.message}`;
  const reason = networkCode(err.cause);
  return `${err.message}${reason ? ` (${reason})` : ''}: is the API running at ${api}/trpc?`;
}

/** fetch hides the socket error (ECONNREFUSED, ENOTFOUND) a few causes down. */
export function networkCode(cause: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof cause !== 'object' || cause === null) return undefined;
  if ('code' in cause && typeof cause.code === 'string') return cause.code;
  return 'cause' in cause ? networkCode(cause.cause, depth + 1) : undefined;
}
