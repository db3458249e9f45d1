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

export const ALLOWED_ALGORITHMS = ['ES256', 'EdDSA'] as const;
export const DEFAULT_ISSUER = 'federa-dev';
export const DEFAULT_AUDIENCE = 'federa-api';

export const roleSchema = z.enum(['tenant', 'operator', 'admin']);
export type Role = z.infer<typeof roleSchema>;

export interface Principal {
  readonly role: Role;
  /** tenant id, operator id or admin user, by role */
  readonly subject: string;
  readonly tokenId: string | undefined;
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
}

export type VerifyToken = (token: string) => Promise<Principal>;

export function createVerifier(opts: VerifierOptions): VerifyToken {
  const keys: JWTVerifyGetKey =
    opts.jwks instanceof URL ? createRemoteJWKSet(opts.jwks) : createLocalJWKSet(opts.jwks);
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: opts.issuer,
        audience: opts.audience,
        algorithms: [...ALLOWED_ALGORITHMS],
        requiredClaims: ['exp', 'sub'],
        clockTolerance: opts.clockToleranceSec ?? 5,
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
