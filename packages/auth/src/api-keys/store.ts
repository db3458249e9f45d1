/**
 * API keys in Redis. Per tenant, in its hash slot (`{t:<tenant>}`): the keys' metadata (a hash,
 * keyId → JSON, with the secret's SHA-256 but never the secret) and their ledger fields (limits and
 * figures the reserve script checks with the tenant's; see @federa/ledger key-ledger.ts). Globally:
 * `federa:apikey:<sha256>` → (tenant, keyId), which is how a presented secret is recognised.
 * Creating writes the tenant's side first, then the lookup; revoking marks the tenant's side (the
 * ledger refuses new holds at once) and then drops the lookup.
 */
import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import { FederaError } from '@federa/domain';
import { keyLedgerOpenFields, keyLedgerRevokeFields, tenantKeys } from '@federa/ledger';
import { generateApiKey, hashApiKey, sameHash } from './format';
import type { ApiKeyLimits } from './scope';

/** keys a tenant may have (revoked ones count: they stay listed) */
export const MAX_KEYS_PER_TENANT = 1000;
const lookupKey = (hash: string) => `federa:apikey:${hash}`;

/** A key as its tenant sees it: never the secret, never its hash. */
export interface ApiKeyInfo {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
  readonly limits: ApiKeyLimits;
}

const storedSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
  hash: z.string(),
  limits: z.object({
    residency: z.array(z.string()).optional(),
    models: z.array(z.string()).optional(),
    expiresAt: z.string().optional(),
    budget: z.number().optional(),
    tokensPerMinute: z.number().optional(),
  }),
});
type StoredKey = z.infer<typeof storedSchema>;
const lookupSchema = z.object({ tenantId: z.string(), keyId: z.string() });

function publicInfo(stored: StoredKey): ApiKeyInfo {
  const { hash: _hash, ...info } = stored;
  return info;
}

export class ApiKeyStore {
  constructor(readonly redis: Redis | Cluster) {}

  /** Create a key; the secret is in the answer and nowhere else. */
  async create(
    tenantId: string,
    input: { readonly name: string; readonly limits: ApiKeyLimits },
    now = Date.now(),
  ): Promise<{ key: ApiKeyInfo; secret: string }> {
    const k = tenantKeys(tenantId);
    if ((await this.redis.hlen(k.apiKeys)) >= MAX_KEYS_PER_TENANT)
      throw new FederaError('CONFLICT', `a tenant may have at most ${MAX_KEYS_PER_TENANT} API keys`);
    const { id, secret, hash } = generateApiKey();
    const stored: StoredKey = {
      id,
      name: input.name,
      createdAt: new Date(now).toISOString(),
      revokedAt: null,
      hash,
      limits: stripUndefined(input.limits),
    };
    const expiresAt = input.limits.expiresAt ? Date.parse(input.limits.expiresAt) : null;
    await this.redis
      .multi()
      .hset(k.apiKeys, id, JSON.stringify(stored))
      .hset(
        k.keyLedger,
        ...keyLedgerOpenFields(id, {
          budget: input.limits.budget ?? null,
          tokensPerMinute: input.limits.tokensPerMinute ?? 0,
          expiresAt,
        }),
      )
      .exec();
    await this.redis.set(lookupKey(hash), JSON.stringify({ tenantId, keyId: id }));
    return { key: publicInfo(stored), secret };
  }

  async list(tenantId: string): Promise<ApiKeyInfo[]> {
    const raw = await this.redis.hvals(tenantKeys(tenantId).apiKeys);
    return raw
      .map((r) => publicInfo(storedSchema.parse(JSON.parse(r))))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
  }

  async get(tenantId: string, keyId: string): Promise<ApiKeyInfo | null> {
    const stored = await this.stored(tenantId, keyId);
    return stored ? publicInfo(stored) : null;
  }

  /**
   * Revoke one of the tenant's keys: null when the tenant has no such key (another tenant's key is
   * not found either). Revoking twice answers the first revocation.
   */
  async revoke(
    tenantId: string,
    keyId: string,
    now = Date.now(),
  ): Promise<{ key: ApiKeyInfo; hash: string; already: boolean } | null> {
    const stored = await this.stored(tenantId, keyId);
    if (!stored) return null;
    if (stored.revokedAt) return { key: publicInfo(stored), hash: stored.hash, already: true };
    const revoked: StoredKey = { ...stored, revokedAt: new Date(now).toISOString() };
    const k = tenantKeys(tenantId);
    await this.redis
      .multi()
      .hset(k.apiKeys, keyId, JSON.stringify(revoked))
      .hset(k.keyLedger, ...keyLedgerRevokeFields(keyId))
      .exec();
    await this.redis.del(lookupKey(stored.hash));
    return { key: publicInfo(revoked), hash: stored.hash, already: false };
  }

  /**
   * The tenant and key a presented secret belongs to, or null (unknown or revoked: the caller
   * answers both the same). Expiry is the caller's check, made at every use.
   */
  async resolve(secret: string): Promise<{ tenantId: string; key: ApiKeyInfo } | null> {
    const hash = hashApiKey(secret);
    const raw = await this.redis.get(lookupKey(hash));
    if (!raw) return null;
    const found = lookupSchema.safeParse(JSON.parse(raw));
    if (!found.success) return null;
    const stored = await this.stored(found.data.tenantId, found.data.keyId);
    if (!stored || stored.revokedAt || !sameHash(stored.hash, hash)) return null;
    return { tenantId: found.data.tenantId, key: publicInfo(stored) };
  }

  private async stored(tenantId: string, keyId: string): Promise<StoredKey | null> {
    const raw = await this.redis.hget(tenantKeys(tenantId).apiKeys, keyId);
    return raw ? storedSchema.parse(JSON.parse(raw)) : null;
  }
}

/** JSON drops undefined anyway; dropping it here keeps the answer equal to what is stored */
function stripUndefined(limits: ApiKeyLimits): StoredKey['limits'] {
  return {
    ...(limits.residency ? { residency: [...limits.residency] } : {}),
    ...(limits.models ? { models: [...limits.models] } : {}),
    ...(limits.expiresAt !== undefined ? { expiresAt: limits.expiresAt } : {}),
    ...(limits.budget !== undefined ? { budget: limits.budget } : {}),
    ...(limits.tokensPerMinute !== undefined ? { tokensPerMinute: limits.tokensPerMinute } : {}),
  };
}
