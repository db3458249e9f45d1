/**
 * Who may call /v1 and within what: the caller authenticated exactly as on tRPC, a tenant of the
 * federation, its residency (narrowed by the request and by its API key), and the
 * id the request goes by (its Idempotency-Key, or one generated here).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Principal } from '@federa/auth';
import {
  FederaError,
  effectiveResidency,
  requestIdSchema,
  type Tenant,
  type TopologyIndex,
} from '@federa/domain';
import { authenticate } from '../authenticate';
import type { ServedDeps } from '../context';
import { paramError } from './errors';

export interface TenantCaller {
  readonly principal: Principal;
  readonly tenant: Tenant;
  readonly topology: TopologyIndex;
}

/** Authenticate the request and require the tenant role (403 otherwise), as tRPC's tenantProcedure does. */
export async function tenantCaller(deps: ServedDeps, req: IncomingMessage): Promise<TenantCaller> {
  const principal = await authenticate(deps, req.headers.authorization);
  if (principal.role !== 'tenant')
    throw new FederaError('FORBIDDEN', "the OpenAI-compatible API needs the 'tenant' role");
  const topology = await deps.topology();
  return { principal, tenant: topology.tenant(principal.subject), topology };
}

/** The limits an API key adds to its tenant's (what it may reach and use). */
export interface KeyLimits {
  readonly apiKeyId?: string | undefined;
  /** the key's residency narrowing (within the tenant's) */
  readonly residency?: readonly string[] | undefined;
  /** the models the key may use (absent: all the tenant's) */
  readonly models?: readonly string[] | undefined;
}

/**
 * The single place where an API key's limits enter the /v1 surface (a JWT session carries none);
 * every /v1 handler applies what this returns. Budget and tokens per minute are the ledger's, in
 * the same reserve as the tenant's.
 */
export function keyLimitsOf(principal: Principal): KeyLimits {
  const key = principal.apiKey;
  if (!key) return {};
  return { apiKeyId: key.id, residency: key.limits.residency, models: key.limits.models };
}

/**
 * The residency a request may be served in: the tenant's, narrowed by the key and by the request.
 * A request that tries to widen either is refused here, before anything runs (RESIDENCY_VIOLATION).
 * Returns the set, and the narrowing to hand to the data plane (the request's, else the key's).
 */
export function residencyFor(
  caller: TenantCaller,
  key: KeyLimits,
  requested: readonly string[] | undefined,
): { readonly allowed: ReadonlySet<string>; readonly narrowing: readonly string[] | undefined } {
  const { tenant, topology } = caller;
  const keyAllowed = effectiveResidency(tenant.residency, key.residency, topology.groups);
  if (!requested) return { allowed: keyAllowed, narrowing: key.residency };
  const allowed = effectiveResidency(tenant.residency, requested, topology.groups);
  const outside = [...allowed].filter((c) => !keyAllowed.has(c)).sort();
  if (outside.length > 0)
    throw new FederaError(
      'RESIDENCY_VIOLATION',
      `requested residency widens the API key's residency with ${outside.join(', ')}`,
    );
  return { allowed, narrowing: requested };
}

/** The request's id: its Idempotency-Key (same syntax as tRPC's requestId), else a fresh one. */
export function requestIdOf(req: IncomingMessage): string {
  const header = req.headers['idempotency-key'];
  if (header === undefined) return `req-${randomUUID()}`;
  const parsed = requestIdSchema.safeParse(Array.isArray(header) ? header.join(',') : header);
  if (!parsed.success)
    throw paramError(
      'VALIDATION_FAILED',
      'Idempotency-Key: 1–128 characters of letters, digits, . _ : -',
      'Idempotency-Key',
    );
  return parsed.data;
}
