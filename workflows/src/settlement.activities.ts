/** Settlement activities: find due periods and settle one period (streaming, heartbeating). */
import { Context } from '@temporalio/activity';
import { archiveSettledUsage, duePeriods, settlePeriod, type SettlementDeps } from '@federa/settlement';
import { withFailures } from './failures';

export interface SettledSummary {
  readonly periodId: string;
  readonly statementIds: readonly string[];
  readonly records: number;
  readonly lateRecords: number;
  readonly alreadySettled: boolean;
}

export function createSettlementActivities(deps: Omit<SettlementDeps, 'progress'>) {
  return {
    /** every schedule in use (the default and each agreement's), oldest period first */
    duePeriods: withFailures(async (): Promise<string[]> =>
      duePeriods(deps.store, deps.config, Date.now(), { topology: await deps.topology() }),
    ),
    settlePeriod: withFailures(async (periodId: string): Promise<SettledSummary> => {
      const ctx = Context.current();
      const r = await settlePeriod({ ...deps, progress: (n) => ctx.heartbeat(n) }, periodId);
      return {
        periodId: r.periodId,
        statementIds: r.statements.map((s) => s.statementId),
        records: r.counts.usage,
        lateRecords: r.counts.lateUsage,
        alreadySettled: r.alreadySettled,
      };
    }),
    /** sign the credit notes resolutions left pending (the API holds no clearing private key) */
    issueCreditNotes: withFailures(async (): Promise<number> => {
      const { issued, refused } = await deps.store.issueCreditNotes(deps.clearingKey);
      // a refused note stays pending and unsigned: someone wrote what no resolution calls for
      for (const r of refused)
        Context.current().log.error('credit note refused: not signed', {
          creditNoteId: r.creditNoteId,
          reason: r.reason,
        });
      return issued.length;
    }),
    /** copy settled periods' usage to the archive and trim the live streams (no-op when off) */
    archiveUsage: withFailures(async (): Promise<number> => {
      const segments = await archiveSettledUsage(deps, Date.now());
      return segments.length;
    }),
  };
}

export type SettlementActivities = ReturnType<typeof createSettlementActivities>;
