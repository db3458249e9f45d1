/**
 * The statement lifecycle's rules, as pure decisions the store applies by compare-and-set:
 *
 *   issued ──accept (one party)──▶ issued (acceptedBy: [p]) ──accept (other)──▶ accepted
 *   issued ──dispute (a party that has not accepted)──▶ disputed ──resolve (admin)──▶ resolved
 *
 * A party accepting again is a replay (no change, no error), so concurrent or retried accepts agree.
 * A dispute needs a statement still open to it: not accepted by both, not disputed, and not already
 * accepted by the disputing party. Everything else is STATEMENT_STATE. A dispute after the
 * statement's deadline is DISPUTE_WINDOW_CLOSED (checked first: a final statement is final whatever
 * its state). Accepting a final statement is still allowed: it changes no amount, it only records
 * that the party acknowledges what is already binding.
 */
import { FederaError } from '@federa/domain';
import type { CreditNotePayload } from './credit-note';
import { refuseAfterWindow } from './dispute-window';
import type { DisputeAdjustment } from './statement';
import type { Decide, Dispute, Lifecycle } from './store';

export const ISSUED: Lifecycle = { status: 'issued', acceptedBy: [], dispute: null, resolution: null };

const refuse = (current: Lifecycle, why = `statement is ${current.status}`) =>
  new FederaError('STATEMENT_STATE', why, { status: current.status });

export function acceptBy(party: string): Decide {
  return (current) => {
    if (current.status === 'disputed' || current.status === 'resolved') throw refuse(current);
    if (current.acceptedBy.includes(party)) return null;
    const acceptedBy = [...current.acceptedBy, party].sort();
    return { next: { ...current, acceptedBy, status: acceptedBy.length === 2 ? 'accepted' : 'issued' } };
  };
}

/** `deadline`: the statement's disputeDeadline (version 2); the dispute's own time is checked against it */
export function disputeBy(party: string, dispute: Dispute, deadline?: string): Decide {
  return (current) => {
    refuseAfterWindow(deadline, Date.parse(dispute.at));
    if (current.status !== 'issued') throw refuse(current);
    if (current.acceptedBy.includes(party)) throw refuse(current, `${party} has accepted this statement`);
    return { next: { ...current, status: 'disputed', dispute } };
  };
}

export function resolveWith(
  adjustment: DisputeAdjustment,
  resolution: { readonly by: string; readonly at: string; readonly targetPeriod: string },
): Decide {
  return (current) => {
    if (current.status !== 'disputed') throw refuse(current, `statement is ${current.status}, not disputed`);
    return {
      next: { ...current, status: 'resolved', resolution: { ...adjustment, ...resolution } },
      adjustment: { targetPeriod: resolution.targetPeriod, adjustment },
    };
  };
}

/** A resolution settled by a credit note (the agreement's choice) instead of an adjustment line. */
export function resolveWithCreditNote(
  adjustment: DisputeAdjustment,
  resolution: { readonly by: string; readonly at: string },
  note: Omit<CreditNotePayload, 'dispute'>,
): Decide {
  return (current) => {
    if (current.status !== 'disputed' || !current.dispute)
      throw refuse(current, `statement is ${current.status}, not disputed`);
    const { by, at } = current.dispute;
    return {
      next: {
        ...current,
        status: 'resolved',
        resolution: { ...adjustment, ...resolution, targetPeriod: null, creditNoteId: note.creditNoteId },
      },
      creditNote: { ...note, dispute: { by, at } },
    };
  };
}
