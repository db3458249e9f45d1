/**
 * An API key's share of its tenant's ledger: its limits (state, expiry, budget per billing period,
 * tokens per minute) and its figures (posted, pending, overage) live in the tenant's hash slot, in
 * one hash (`keyLedger`, fields `<keyId>|<name>`), so the reserve, post and void scripts check and
 * move the key's figures in the same atomic call as the tenant's. The key's metadata (name, scope)
 * is kept by the API-key store (@federa/auth); this file owns only the ledger side.
 */
import type { Cluster, Redis } from 'ioredis';
import { FederaError } from '@federa/domain';
import { tenantKeys } from './keys';
import { periodId, type BillingPeriod } from './periods';

/** what a key id may look like (it becomes part of a field name, and `|` separates the parts) */
export const API_KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface KeyLedgerLimits {
  /** minor units per billing period; null/absent = only the tenant's budget applies */
  readonly budget?: number | null | undefined;
  /** tokens per minute; 0/absent = only the tenant's rate limit applies */
  readonly tokensPerMinute?: number | undefined;
  /** ms since the epoch after which the key holds nothing; absent = never */
  readonly expiresAt?: number | null | undefined;
}

export interface KeyAccount {
  readonly budget: number | null;
  readonly posted: number;
  readonly pending: number;
  readonly overage: number;
  /** budget − posted − pending − overage, or null without a key budget */
  readonly available: number | null;
  readonly tokensPerMinute: number;
  readonly period: string;
  readonly active: boolean;
}

function checkKeyId(keyId: string): void {
  if (!API_KEY_ID_PATTERN.test(keyId)) throw new FederaError('VALIDATION_FAILED', 'invalid API key id');
}

function checkAmount(value: number, what: string): string {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new FederaError('VALIDATION_FAILED', `${what} must be a non-negative safe integer`);
  return String(value);
}

/** HSET arguments that open a key in the ledger with its limits (and zero figures). */
export function keyLedgerOpenFields(keyId: string, limits: KeyLedgerLimits): string[] {
  checkKeyId(keyId);
  const f = (name: string) => `${keyId}|${name}`;
  return [
    f('state'),
    'active',
    f('expires'),
    limits.expiresAt == null ? '' : checkAmount(limits.expiresAt, 'expiresAt'),
    f('budget'),
    limits.budget == null ? '' : checkAmount(limits.budget, 'budget'),
    f('tpm'),
    checkAmount(limits.tokensPerMinute ?? 0, 'tokensPerMinute'),
    f('posted'),
    '0',
    f('pending'),
    '0',
    f('overage'),
    '0',
  ];
}

/** HSET arguments that stop a key from holding anything more (its pending holds still resolve). */
export function keyLedgerRevokeFields(keyId: string): string[] {
  checkKeyId(keyId);
  return [`${keyId}|state`, 'revoked'];
}

const FIGURES = ['state', 'budget', 'posted', 'pending', 'overage', 'tpm', 'period'] as const;

/** A key's figures in the current billing period (a period not yet rolled reads as the new one). */
export async function readKeyAccount(
  redis: Redis | Cluster,
  tenantId: string,
  keyId: string,
  opts: { period: BillingPeriod; now: number },
): Promise<KeyAccount | null> {
  checkKeyId(keyId);
  const raw = await redis.hmget(tenantKeys(tenantId).keyLedger, ...FIGURES.map((n) => `${keyId}|${n}`));
  const [state, budget, posted, pending, overage, tpm, period] = raw;
  if (!state) return null;
  const current = periodId(opts.period, opts.now);
  const stale = period !== current;
  const n = (v: string | null | undefined) => Number(v ?? 0);
  const b = budget ? Number(budget) : null;
  const figures = {
    posted: stale ? 0 : n(posted),
    pending: n(pending),
    overage: stale ? 0 : n(overage),
  };
  return {
    budget: b,
    ...figures,
    available: b === null ? null : b - figures.posted - figures.pending - figures.overage,
    tokensPerMinute: n(tpm),
    period: current,
    active: state === 'active',
  };
}
