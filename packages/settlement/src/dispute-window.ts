/**
 * Dispute deadlines. A statement is issued when its period closes (`closedAt`: the period's end plus
 * the grace window); either party may dispute it until `disputeWindowDays` calendar days later, as
 * the agreement's time zone counts days (UTC without an agreement). Calendar days, not multiples of
 * 24 hours: a 30-day window that spans a daylight-saving change ends at the same wall-clock time it
 * started, as a partner's clearing staff would count it. After the deadline the statement is final.
 *
 * Version-1 statements carry no deadline: they stay open to dispute as they always were.
 */
import { Temporal } from 'temporal-polyfill';
import { FederaError } from '@federa/domain';
import type { StatementStatus } from './store';

export const DEFAULT_DISPUTE_WINDOW_DAYS = 30;

/** ISO instant (UTC) until which a statement issued at `closedAt` may be disputed, inclusive. */
export function disputeDeadline(closedAt: string, windowDays: number, timeZone = 'UTC'): string {
  return Temporal.Instant.from(closedAt)
    .toZonedDateTimeISO(timeZone)
    .add({ days: windowDays })
    .toInstant()
    .toString({ smallestUnit: 'millisecond' });
}

/** Whether the dispute window of a statement with this deadline has closed at `atMs`. */
export function windowClosed(deadline: string | undefined, atMs: number): boolean {
  return deadline !== undefined && atMs > Date.parse(deadline);
}

/**
 * Final: the window has closed and no dispute is open or being settled. A statement disputed in time
 * is not final while the dispute runs; a resolved one is settled by its resolution.
 */
export function isFinal(deadline: string | undefined, status: StatementStatus, atMs: number): boolean {
  return windowClosed(deadline, atMs) && (status === 'issued' || status === 'accepted');
}

export function refuseAfterWindow(deadline: string | undefined, atMs: number): void {
  if (windowClosed(deadline, atMs))
    throw new FederaError(
      'DISPUTE_WINDOW_CLOSED',
      `the dispute window closed at ${deadline}: the statement is final`,
      { disputeDeadline: deadline },
    );
}
