/**
 * Who is calling: the one place a request's `Authorization` header becomes a principal. The tRPC
 * context and the OpenAI-compatible surface (/v1) both authenticate here, so they accept exactly the
 * same credentials.
 */
import type { Principal } from '@federa/auth';
import { FederaError } from '@federa/domain';
import type { ApiDeps } from './context';

/** Verify `Authorization: Bearer <credential>`; a missing or bad credential is UNAUTHENTICATED. */
export async function authenticate(
  deps: Pick<ApiDeps, 'verify'>,
  header: string | undefined,
): Promise<Principal> {
  if (!header) throw new FederaError('UNAUTHENTICATED', 'missing Authorization header');
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
  if (!match?.[1]) throw new FederaError('UNAUTHENTICATED', 'Authorization must be "Bearer <jwt>"');
  try {
    return await deps.verify(match[1]);
  } catch (err) {
    throw err instanceof FederaError ? err : new FederaError('UNAUTHENTICATED', 'invalid token');
  }
}
