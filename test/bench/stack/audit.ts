/**
 * What a chaos run must prove afterwards, read from the stack's own stores (Redis Cluster and
 * Temporal), never from what the bench believes happened:
 * - every request the client saw answered has exactly one usage record, and none has two;
 * - every usage record was served in its tenant's residency;
 * - no hold is left pending past its expiry;
 * - Temporal's request workflows and the records agree (`federa ledger audit`'s comparison).
 */
import { Client, Connection } from '@temporalio/client';
import { Ledger } from '@federa/ledger';
import { connectRedis } from '@federa/redis';
import { TopologyIndex, effectiveResidency, groupsOf, type StoredUsageRecord } from '@federa/domain';
import { Registry } from '@federa/registry';
import { CONTROL_TASK_QUEUE } from '@federa/workflows';
import { auditLedger, type AuditReport } from '../../../apps/cli/src/ledger-audit';
import { gatherAudit } from '../../../apps/cli/src/ledger-audit-sources';
import type { Outcome } from './traffic';

export interface ChaosAudit {
  /** usage records of this run's requests */
  readonly records: number;
  /** answered requests (client saw success) */
  readonly served: number;
  /** answered, but no usage record */
  readonly lost: number;
  /** requests with more than one usage record */
  readonly duplicated: number;
  /** records of requests the client saw fail (served by the site, answer lost on the way: billed once) */
  readonly recordedButFailedForClient: number;
  /** records served outside their tenant's residency */
  readonly residencyViolations: number;
  /** holds of this run still pending after their expiry */
  readonly holdsPastExpiry: number;
  /** holds of this run still pending at all (within their expiry) */
  readonly holdsPending: number;
  /** workflows vs records, as `federa ledger audit` compares them */
  readonly ledgerAudit: Pick<AuditReport, 'workflows' | 'records' | 'matched' | 'inFlight' | 'ok'> & {
    readonly mismatches: number;
  };
}

export interface AuditInputs {
  readonly redisUrl: string;
  readonly temporalAddress: string;
  readonly federation: string;
  readonly usageArchiveDir: string;
  readonly runPrefix: string;
  readonly outcomes: readonly Outcome[];
  readonly fromMs: number;
  readonly toMs: number;
}

export async function auditChaosRun(inp: AuditInputs): Promise<ChaosAudit> {
  const redis = connectRedis(inp.redisUrl);
  const connection = await Connection.connect({ address: inp.temporalAddress });
  try {
    const ledger = new Ledger(redis);
    const topology = new TopologyIndex((await new Registry(redis, inp.federation).snapshot()).topology);
    const tenants = [...new Set(inp.outcomes.map((o) => o.tenant))];
    const byRequest = new Map<string, StoredUsageRecord[]>();
    let residencyViolations = 0;
    let holdsPastExpiry = 0;
    let holdsPending = 0;
    const now = Date.now();
    for (const tenantId of tenants) {
      const allowed = effectiveResidency(
        topology.tenant(tenantId).residency,
        undefined,
        groupsOf(topology.topology),
      );
      for await (const r of ledger.usageBetween(tenantId, inp.fromMs, inp.toMs + 60_000)) {
        if (!r.requestId.startsWith(inp.runPrefix)) continue;
        byRequest.set(r.requestId, [...(byRequest.get(r.requestId) ?? []), r]);
        if (!allowed.has(r.jurisdiction)) residencyViolations++;
      }
      for (const h of await ledger.pendingHolds(tenantId, 10_000)) {
        if (!h.requestId.startsWith(inp.runPrefix)) continue;
        holdsPending++;
        if (h.expiresAt < now) holdsPastExpiry++;
      }
    }
    const answered = inp.outcomes.filter((o) => o.ok);
    const failed = inp.outcomes.filter((o) => !o.ok);
    // read both sides a minute wider than the run, judged within it (as `federa ledger audit` does)
    const sides = await gatherAudit(
      {
        temporal: new Client({ connection }),
        redis,
        federation: inp.federation,
        controlTaskQueue: CONTROL_TASK_QUEUE,
        usageArchiveDir: inp.usageArchiveDir,
      },
      inp.fromMs - 60_000,
      inp.toMs + 60_000,
    );
    const report = auditLedger({ fromMs: inp.fromMs, toMs: inp.toMs }, sides.workflows, sides.records);
    return {
      records: [...byRequest.values()].reduce((n, rs) => n + rs.length, 0),
      served: answered.length,
      lost: answered.filter((o) => !byRequest.has(o.requestId)).length,
      duplicated: [...byRequest.values()].filter((rs) => rs.length > 1).length,
      recordedButFailedForClient: failed.filter((o) => byRequest.has(o.requestId)).length,
      residencyViolations,
      holdsPastExpiry,
      holdsPending,
      ledgerAudit: {
        workflows: report.workflows,
        records: report.records,
        matched: report.matched,
        inFlight: report.inFlight,
        ok: report.ok,
        mismatches: report.mismatches.length,
      },
    };
  } finally {
    redis.disconnect();
    await connection.close();
  }
}
