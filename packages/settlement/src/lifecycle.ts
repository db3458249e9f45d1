/**
 * The statement lifecycle's rules, as pure decisions the store applies by compare-and-set:
 *
 *   issued ──accept (one party)──▶ issued (acceptedBy: [p]) ──accept (other)──▶ accepted
 *   issued ──dispute (a party that has not accepted)──▶ disputed ──resolve (admin)──▶ resolved
 *
 * A party accepting again is a replay (no change, no error), so concurrent or retried accepts agree.
 * A dispute needs a statement still open to it: not accepted by both, not disputed, and not already
 * accepted by the disputing party. Everything else is STATEMENT_STATE.
 */
import { FederaError } from '@federa/domain';
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

export function disputeBy(party: string, dispute: Dispute): Decide {
  return (current) => {
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
