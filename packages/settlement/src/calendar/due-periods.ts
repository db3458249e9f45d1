/**
 * Catch-up after downtime across schedules: the periods of every schedule in use that have closed
 * (end + grace) and are not settled, each schedule walked from its own cursor (the end of its last
 * settled period), merged oldest first by end, bounded. Pure, so property tests can drive it. A
 * schedule never settled starts at its last closed period, or where a pair's agreement switched to
 * it if that is earlier.
 */
import type { Period } from '../statement';
import { nextPeriodIn, periodIn, previousPeriodIn, scheduleKey, type Schedule } from './schedule';

export interface DueInput {
  readonly schedules: readonly Schedule[];
  /** end of the schedule's last settled period (ms), or null: never settled */
  readonly cursor: (scheduleKey: string) => number | null;
  /**
   * when each schedule starts to be needed: the starts of the pair segments on it (-Infinity: some
   * pair is on it since the beginning; absent: as if every schedule were needed since then)
   */
  readonly starts?: (scheduleKey: string) => readonly number[];
  readonly isSettled: (periodId: string) => boolean;
  readonly nowMs: number;
  readonly graceMs: number;
  /** at most this many periods per run (the oldest); the next run goes on from there */
  readonly maxPeriods: number;
}

/** The closed, unsettled periods, oldest first (by end, then id: deterministic across schedules). */
export function dueAcross(input: DueInput): Period[] {
  const due = input.schedules.flatMap((s) => dueIn(s, input));
  return due
    .sort((a, b) => a.endMs - b.endMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, input.maxPeriods);
}

function dueIn(s: Schedule, input: DueInput): Period[] {
  // the period holding now − grace is still open; everything before it has closed
  const open = periodIn(s, input.nowMs - input.graceMs);
  const cursor = input.cursor(scheduleKey(s));
  // never settled: only the last closed period (a fresh federation does not settle the past), but
  // from where a pair switched to it when that is earlier (its records since the switch are its own)
  const switchedAt = (input.starts?.(scheduleKey(s)) ?? []).filter((ms) => ms > -Infinity);
  let p = cursor === null ? previousPeriodIn(s, open) : periodIn(s, cursor);
  if (cursor === null && switchedAt.length > 0) {
    const first = periodIn(s, Math.min(...switchedAt));
    if (first.startMs < p.startMs) p = first;
  }
  // forward from there, the oldest maxPeriods: the next run goes on where this one stopped, so a
  // long outage delays periods but skips none (a period skipped here would never be settled: its
  // records were posted before any later period's window)
  const due: Period[] = [];
  for (; p.startMs < open.startMs && due.length < input.maxPeriods; p = nextPeriodIn(s, p))
    if (!input.isSettled(p.id)) due.push(p);
  return due;
}
