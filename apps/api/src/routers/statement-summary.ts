/** How settlement.list shows a statement: its totals, state and dispute deadline (not its lines). */
import { isFinal, type StatementPayload, type StatementStatus } from '@federa/settlement';

export function summary(payload: StatementPayload, status: StatementStatus) {
  return {
    statementId: payload.statementId,
    period: payload.period,
    parties: payload.parties,
    net: payload.net,
    lines: payload.lines.length,
    currency: payload.settlementCurrency,
    status,
    /** absent on version-1 statements, which have no dispute window */
    disputeDeadline: payload.disputeDeadline ?? null,
    /** past its dispute deadline and not under dispute: binding, no longer open to dispute */
    final: isFinal(payload.disputeDeadline, status, Date.now()),
  };
}
