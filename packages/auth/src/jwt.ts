/**
 * API authentication: JWTs verified with jose against a JWKS, with issuer, audience and expiry
 * required, an algorithm allow-list, and a small clock tolerance. The principal (role + subject)
 * comes from claims only.
 */
import {
  SignJWT,
  createLocalJWKSet,
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import { z } from 'zod';
import { FederaError } from '@federa/domain';
import type { ApiKeyPrincipal } from './api-keys/scope';

export const ALLOWED_ALGORITHMS = ['ES256', 'EdDSA'] as const;
export const DEFAULT_ISSUER = 'federa-dev';
export const DEFAULT_AUDIENCE = 'federa-api';
/** Longest lifetime (exp − iat) a token may have unless the verifier is told otherwise. */
export const DEFAULT_MAX_LIFETIME_SEC = 24 * 3600;
/** `typ` header values an access token may carry (or none); others are other kinds of JWT. */
const ACCEPTED_TYPES = new Set(['jwt', 'at+jwt', 'application/jwt', 'application/at+jwt']);

export const roleSchema = z.enum(['tenant', 'operator', 'admin']);
export type Role = z.infer<typeof roleSchema>;

export interface Principal {
  readonly role: Role;
  /** tenant id, operator id or admin user, by role */
  readonly subject: string;
  readonly tokenId: string | undefined;
  /** set when the caller authenticated with an API key (role tenant): the key's id and limits */
  readonly apiKey?: ApiKeyPrincipal | undefined;
}

const claimsSchema = z.object({
  sub: z.string().min(1).max(128),
  role: roleSchema,
  jti: z.string().optional(),
});

export interface VerifierOptions {
  /** a JWKS document (dev: a local file) or the URL of one (production) */
  readonly jwks: JSONWebKeySet | URL;
  readonly issuer: string;
  readonly audience: string;
  readonly clockToleranceSec?: number;
  /** refuse tokens whose lifetime (exp − iat) exceeds this; default DEFAULT_MAX_LIFETIME_SEC */
  readonly maxLifetimeSec?: number;
}

/**
 * Checks jose does not make: a stolen long-lived token is worth more than the short ones we issue;
 * an `iat` in the future means a broken or forged clock; another `typ` is another kind of JWT
 * (an ID token, a logout token…) that must not pass as an access token.
 */
function checkLifetimeAndType(
  payload: { exp?: number; iat?: number },
  typ: string | undefined,
  opts: { maxLifetimeSec: number; toleranceSec: number; nowSec: number },
): void {
  if (typ !== undefined && !ACCEPTED_TYPES.has(typ.toLowerCase()))
    throw new FederaError('UNAUTHENTICATED', 'invalid token: ERR_JWT_TYP_NOT_ALLOWED');
  if (payload.iat !== undefined && payload.iat > opts.nowSec + opts.toleranceSec)
    throw new FederaError('UNAUTHENTICATED', 'invalid token: ERR_JWT_ISSUED_IN_FUTURE');
  const issuedAt = payload.iat ?? opts.nowSec;
  if (payload.exp !== undefined && payload.exp - issuedAt > opts.maxLifetimeSec)
    throw new FederaError('UNAUTHENTICATED', 'invalid token: ERR_JWT_LIFETIME_TOO_LONG');
}

export type VerifyToken = (token: string) => Promise<Principal>;

export function createVerifier(opts: VerifierOptions): VerifyToken {
  const keys: JWTVerifyGetKey =
    opts.jwks instanceof URL ? createRemoteJWKSet(opts.jwks) : createLocalJWKSet(opts.jwks);
  const toleranceSec = opts.clockToleranceSec ?? 5;
  const maxLifetimeSec = opts.maxLifetimeSec ?? DEFAULT_MAX_LIFETIME_SEC;
  return async (token) => {
    try {
      const { payload, protectedHeader } = await jwtVerify(token, keys, {
        issuer: opts.issuer,
        audience: opts.audience,
        algorithms: [...ALLOWED_ALGORITHMS],
        requiredClaims: ['exp', 'sub'],
        clockTolerance: toleranceSec,
      });
      checkLifetimeAndType(payload, protectedHeader.typ, {
        maxLifetimeSec,
        toleranceSec,
        nowSec: Math.floor(Date.now() / 1000),
      });
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success)
        throw new FederaError('UNAUTHENTICATED', 'token lacks a valid role or subject claim');
      return { role: claims.data.role, subject: claims.data.sub, tokenId: claims.data.jti };
    } catch (err) {
      if (err instanceof FederaError) throw err;
      // jose's message says which check failed; its code is stable (ERR_JWT_EXPIRED, …)
      const code = (err as { code?: string }).code ?? 'ERR_JWT_INVALID';
      throw new FederaError('UNAUTHENTICATED', `invalid token: ${code}`);
    }
  };
}

export interface SigningKey {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

export async function generateSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const meta = { kid, alg: 'ES256', use: 'sig' };
  return {
    privateJwk: { ...(await exportJWK(privateKey)), ...meta },
    publicJwk: { ...(await exportJWK(publicKey)), ...meta },
  };
}

export interface MintOptions {
  readonly privateJwk: JWK;
  readonly role: Role;
  readonly subject: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** lifetime, e.g. '1h' or seconds */
  readonly expiresIn?: string | number;
}

export async function mintToken(opts: MintOptions): Promise<string> {
  const alg = opts.privateJwk.alg ?? 'ES256';
  const key = await importJWK(opts.privateJwk, alg);
  return new SignJWT({ role: opts.role })
    .setProtectedHeader({ alg, kid: opts.privateJwk.kid, typ: 'JWT' })
    .setSubject(opts.subject)
    .setIssuer(opts.issuer ?? DEFAULT_ISSUER)
    .setAudience(opts.audience ?? DEFAULT_AUDIENCE)
    .setIssuedAt()
    .setJti(crypto.randomUUID())
    .setExpirationTime(opts.expiresIn ?? '12h')
    .sign(key);
}
