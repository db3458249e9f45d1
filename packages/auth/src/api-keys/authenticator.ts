/**
 * Recognises `fed_…` credentials. Lookups are cached in process for `cacheMs` (1 s by default), so a
 * busy key costs two Redis reads per second per API process, not per request; concurrent lookups of
 * one key share one read. Hence revocation reaches other API processes within `cacheMs`; the process
 * that revokes forgets the key at once (`forget`), and the ledger refuses new holds for a revoked
 * key immediately in any case. Expiry is checked at every use, so it is exact.
 */
import { FederaError } from '@federa/domain';
import type { Principal } from '../jwt';
import { hashApiKey, isWellFormedApiKey } from './format';
import type { ApiKeyInfo, ApiKeyStore } from './store';

export const DEFAULT_API_KEY_CACHE_MS = 1000;
const MAX_CACHED = 10_000;
/** one message for unknown, revoked, expired and malformed keys: no oracle */
const INVALID = 'invalid API key';

type Resolved = { tenantId: string; key: ApiKeyInfo } | null;

export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, { at: number; value: Promise<Resolved> }>();
  private readonly cacheMs: number;
  private readonly clock: () => number;

  constructor(
    readonly store: ApiKeyStore,
    opts: { cacheMs?: number; clock?: () => number } = {},
  ) {
    this.cacheMs = opts.cacheMs ?? DEFAULT_API_KEY_CACHE_MS;
    this.clock = opts.clock ?? Date.now;
  }

  async authenticate(secret: string): Promise<Principal> {
    if (!isWellFormedApiKey(secret)) throw new FederaError('UNAUTHENTICATED', INVALID);
    const found = await this.lookup(hashApiKey(secret), secret);
    if (!found) throw new FederaError('UNAUTHENTICATED', INVALID);
    const { expiresAt } = found.key.limits;
    if (expiresAt && Date.parse(expiresAt) <= this.clock()) throw new FederaError('UNAUTHENTICATED', INVALID);
    return {
      role: 'tenant',
      subject: found.tenantId,
      tokenId: undefined,
      apiKey: { id: found.key.id, limits: found.key.limits },
    };
  }

  /** Drop a key's cached lookup (this process revoked it). */
  forget(hash: string): void {
    this.cache.delete(hash);
  }

  private lookup(hash: string, secret: string): Promise<Resolved> {
    const now = this.clock();
    const hit = this.cache.get(hash);
    if (hit && now - hit.at < this.cacheMs) return hit.value;
    if (this.cache.size >= MAX_CACHED) this.evictStale(now);
    const value = this.store.resolve(secret);
    this.cache.set(hash, { at: now, value });
    // a failed read is not remembered: the next request tries again
    value.catch(() => this.cache.delete(hash));
    return value;
  }

  private evictStale(now: number): void {
    for (const [hash, entry] of this.cache) {
      if (now - entry.at >= this.cacheMs) this.cache.delete(hash);
    }
    // still full of fresh entries (many distinct keys at once): start over rather than grow
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
  }
}
