/**
 * How far the usage archive may cut when pairs settle on several schedules. A record posted at t is
 * read by a run of every schedule, so it stays live until every schedule in use has settled the
 * period holding t, without a gap from the archive's watermark, and that period closed (end +
 * grace) more than `afterMs` ago. The cuts are the period ends of all schedules up to that frontier
 * (one segment per boundary: with one fixed schedule, one segment per period, as before).
 */
import type { Period } from '../statement';
import { nextPeriodIn, parsePeriodId, periodIn, scheduleKey, scheduleOf, type Schedule } from './schedule';

export interface FrontierInput {
  readonly schedules: readonly Schedule[];
  readonly isSettled: (periodId: string) => boolean;
  /** records posted before this (ms) are archived already; 0: nothing yet */
  readonly watermark: number;
  readonly nowMs: number;
  readonly graceMs: number;
  readonly afterMs: number;
  /** the settled period ids, to find where a schedule starts when nothing is archived yet */
  readonly settledIds?: readonly string[];
  /**
   * when each schedule starts to be needed (the starts of the pair segments on it; -Infinity: since
   * the beginning): a schedule a pair switched to holds no record before it, so its periods that
   * end by then need no settling (absent: every schedule is needed since the beginning)
   */
  readonly starts?: (scheduleKey: string) => readonly number[];
}

/** The segment ends to archive up to, ascending (empty: nothing to archive yet). */
export function archivableUntil(input: FrontierInput): number[] {
  if (input.schedules.length === 0) return [];
  const walks = input.schedules.map((s) => settledRun(s, input));
  const frontier = Math.min(...walks.map((ends) => ends.at(-1) ?? input.watermark));
  if (frontier <= input.watermark) return [];
  const cuts = new Set(walks.flat().filter((end) => end <= frontier));
  return [...cuts].sort((a, b) => a - b);
}

/** The ends of the schedule's settled, closed-long-enough periods, contiguous from the watermark. */
function settledRun(s: Schedule, input: FrontierInput): number[] {
  let p: Period | undefined =
    input.watermark > 0 ? periodIn(s, input.watermark) : oldestSettled(s, input.settledIds ?? []);
  const starts = input.starts?.(scheduleKey(s)) ?? [];
  const neededFrom = starts.length === 0 ? -Infinity : Math.min(...starts);
  const ends: number[] = [];
  const closed = (q: Period) => q.endMs + input.graceMs + input.afterMs <= input.nowMs;
  // periods of a schedule before any pair switched to it hold none of its records
  while (input.watermark > 0 && p && p.endMs <= neededFrom && closed(p)) {
    ends.push(p.endMs);
    p = nextPeriodIn(s, p);
  }
  while (p && input.isSettled(p.id) && closed(p)) {
    ends.push(p.endMs);
    p = nextPeriodIn(s, p);
  }
  return ends;
}

/** Nothing archived yet: the schedule's run starts at its oldest settled period. */
function oldestSettled(s: Schedule, settledIds: readonly string[]): Period | undefined {
  const key = scheduleKey(s);
  const fixedMs = s.kind === 'fixed' ? s.periodMs : 1;
  let oldest: Period | undefined;
  for (const id of settledIds) {
    let p: Period;
    try {
      p = parsePeriodId(id, fixedMs);
    } catch {
      continue; // a period of an earlier period length (the setting changed) is not this schedule's
    }
    if (scheduleKey(scheduleOf(p)) === key && (!oldest || p.startMs < oldest.startMs)) oldest = p;
  }
  return oldest;
}
