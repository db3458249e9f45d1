/** A minimal usage record for ledger-level tests: one token in, one out, served at home. */
import type { UsageRecord } from '@federa/domain';

export function sampleUsageRecord(
  tenantId: string,
  requestId: string,
  charge: number,
  at: Date = new Date(0),
): UsageRecord {
  return {
    requestId,
    tenantId,
    homeOperator: 'op',
    servingOperator: 'op',
    siteId: 's',
    jurisdiction: 'FR',
    model: 'm',
    inputTokens: 1,
    outputTokens: 1,
    currency: 'EUR',
    retailCharge: charge,
    wholesaleCharge: 0,
    policyVersion: 1,
    startedAt: at.toISOString(),
    completedAt: at.toISOString(),
    failedAttempts: 0,
    flags: [],
  };
}
