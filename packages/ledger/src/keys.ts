/**
 * Every key of one tenant shares the hash tag `{t:<tenant>}`, so each ledger script touches a single
 * Redis Cluster slot. Tenant ids are validated by the topology schema (no braces can get in).
 */
export function tenantKeys(tenantId: string) {
  const tag = `{t:${tenantId}}`;
  return {
    account: `${tag}:acct`,
    holds: `${tag}:holds`,
    expiry: `${tag}:expiry`,
    usage: `${tag}:usage`,
    periods: `${tag}:periods`,
    topups: `${tag}:topups`,
    resolved: `${tag}:resolved`,
    /** per API key: its limits and ledger figures, fields `<keyId>|<name>` (see api-key-fields.ts) */
    keyLedger: `${tag}:keyledger`,
    /** per API key: its public metadata (name, limits, created, revoked), keyId -> JSON */
    apiKeys: `${tag}:apikeys`,
    /** written to confirm a replayed write is replicated (see durability.ts) */
    replicationMark: `${tag}:replmark`,
  } as const;
}

/** The KEYS every ledger script receives, in the order the Lua prelude names them. */
export function scriptKeys(tenantId: string): string[] {
  const k = tenantKeys(tenantId);
  return [k.account, k.holds, k.expiry, k.usage, k.periods, k.topups, k.resolved, k.keyLedger];
}
