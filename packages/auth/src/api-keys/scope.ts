/**
 * What an API key may do, and the one check every front door applies before a request reaches the
 * control plane: the key's model allow-list and its residency narrowing. Its budget and tokens per
 * minute are the ledger's business (checked in the same reserve call as the tenant's).
 */
import { BUILTIN_GROUPS, FederaError, expandJurisdictions, type JurisdictionGroups } from '@federa/domain';

/** A key's limits; every one is optional, and each can only narrow what the tenant may do. */
export interface ApiKeyLimits {
  /** country codes the key's requests may be served in (expanded from codes/groups at creation) */
  readonly residency?: readonly string[] | undefined;
  /** the models the key may call */
  readonly models?: readonly string[] | undefined;
  /** ISO 8601 instant after which the key stops working */
  readonly expiresAt?: string | undefined;
  /** minor units per billing period, within the tenant's */
  readonly budget?: number | undefined;
  /** tokens per minute, within the tenant's */
  readonly tokensPerMinute?: number | undefined;
}

/** What a principal authenticated by an API key carries (never the secret). */
export interface ApiKeyPrincipal {
  readonly id: string;
  readonly limits: ApiKeyLimits;
}

/**
 * Apply a key's scope to a request: refuses a model off the key's allow-list (MODEL_NOT_ALLOWED)
 * and a residency that widens the key's (RESIDENCY_VIOLATION); returns the residency the request
 * goes on with (country codes), or the request's own when the key does not narrow it. The tenant's
 * policy is still applied after this (effectiveResidency), so a key never widens it either.
 */
export function applyKeyScope(
  apiKey: ApiKeyPrincipal | undefined,
  request: { readonly model: string; readonly residency?: readonly string[] | undefined },
  groups: JurisdictionGroups = BUILTIN_GROUPS,
): readonly string[] | undefined {
  if (!apiKey) return request.residency;
  const { models, residency } = apiKey.limits;
  if (models && !models.includes(request.model))
    throw new FederaError('MODEL_NOT_ALLOWED', `this API key may not use model '${request.model}'`);
  if (!residency) return request.residency;
  if (!request.residency) return residency;
  if (request.residency.length === 0)
    throw new FederaError('VALIDATION_FAILED', 'residency, when given, must name at least one jurisdiction');
  const keyCountries = new Set(residency);
  const requested = [...expandJurisdictions(request.residency, groups)].sort();
  const outside = requested.filter((c) => !keyCountries.has(c));
  if (outside.length > 0)
    throw new FederaError(
      'RESIDENCY_VIOLATION',
      `requested residency widens the API key's with ${outside.join(', ')}`,
    );
  return requested;
}
