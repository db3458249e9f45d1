/**
 * Who is calling: the one place a request's `Authorization` header becomes a principal. The tRPC
 * context and the OpenAI-compatible surface (/v1) both authenticate here, so they accept exactly the
 * same credentials: a JWT (any role), or an API key `fed_…` (its tenant, role `tenant`, with the
 * key's id and limits on the principal as `apiKey`).
 */
import { ApiKeyAuthenticator, ApiKeyStore, isApiKeyShaped, type Principal } from '@federa/auth';
import { FederaError } from '@federa/domain';
import type { ApiDeps } from './context';

type AuthDeps = Pick<ApiDeps, 'verify' | 'ledger' | 'apiKeys'>;

/** one authenticator (and so one cache) per Redis connection when the deps do not bring their own */
const defaults = new WeakMap<object, ApiKeyAuthenticator>();

/** The API-key authenticator the deps use: theirs, or one on the ledger's Redis. */
export function apiKeysOf(deps: AuthDeps): ApiKeyAuthenticator {
  if (deps.apiKeys) return deps.apiKeys;
  let found = defaults.get(deps.ledger.redis);
  if (!found) {
    found = new ApiKeyAuthenticator(new ApiKeyStore(deps.ledger.redis));
    defaults.set(deps.ledger.redis, found);
  }
  return found;
}

/** Verify `Authorization: Bearer <credential>`; a missing or bad credential is UNAUTHENTICATED. */
export async function authenticate(deps: AuthDeps, header: string | undefined): Promise<Principal> {
  if (!header) throw new FederaError('UNAUTHENTICATED', 'missing Authorization header');
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
  if (!match?.[1])
    throw new FederaError('UNAUTHENTICATED', 'Authorization must be "Bearer <jwt>" or "Bearer <API key>"');
  const credential = match[1];
  try {
    return isApiKeyShaped(credential)
      ? await apiKeysOf(deps).authenticate(credential)
      : await deps.verify(credential);
  } catch (err) {
    if (err instanceof FederaError && err.code === 'UNAUTHENTICATED') throw err;
    // a Redis failure while looking a key up is ours, not the caller's: never leak its text
    if (isApiKeyShaped(credential) && !(err instanceof FederaError)) throw err;
    throw new FederaError('UNAUTHENTICATED', 'invalid token');
  }
}
