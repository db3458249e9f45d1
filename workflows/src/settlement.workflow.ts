/**
 * Settlement: started by a Temporal Schedule (and by hand for one period). Each run settles every
 * period that has closed (end + grace) and is not settled yet, oldest first — so a run after
 * downtime catches up. Settling a period twice returns the statements issued the first time. After
 * settling, the settled periods' usage is archived and the live streams trimmed (when configured).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { SettledSummary, SettlementActivities } from './settlement.activities';

const { duePeriods, settlePeriod, archiveUsage, issueCreditNotes } = proxyActivities<SettlementActivities>({
  startToCloseTimeout: '30m',
  heartbeatTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10 },
});

export interface SettlementRunInput {
  /** settle this period only (manual trigger); otherwise every due period */
  readonly periodId?: string;
}

export async function settlementWorkflow(input: SettlementRunInput = {}): Promise<SettledSummary[]> {
  // credit notes of resolved disputes are issued on every run, whatever periods are due
  await issueCreditNotes();
  const periods = input.periodId ? [input.periodId] : await duePeriods();
  const settled: SettledSummary[] = [];
  for (const periodId of periods) settled.push(await settlePeriod(periodId));
  // only the schedule's runs archive: a manual run of one period answers with its statements
  if (!input.periodId) await archiveUsage();
  return settled;
}
