/**
 * Settlement schedules (issue 13): the periods an operator pair settles in. A schedule is either a
 * calendar (a day, ISO week or month in an IANA time zone, what partner operators agree on) or
 * fixed-length (epoch-aligned `periodMs`, ISO-instant ids: for dev and tests, where waiting for a
 * calendar day to close is not an option). A pair with an agreement settles on its agreed
 * calendar; every other pair on the federation's default schedule (configuration).
 *
 * A period id names its schedule (calendar ids carry their zone: `2026-11@Europe/Paris`; fixed ids
 * are ISO instants), so ids of different schedules never collide, and an id alone says which
 * periods it belongs to.
 */
import { Temporal } from 'temporal-polyfill';
import { FederaError, type TopologyIndex } from '@federa/domain';
import type { Period } from '../statement';
import { calendarPeriodOf, calendarSpec, type CalendarUnit } from './periods';

export type Schedule =
  | { readonly kind: 'fixed'; readonly periodMs: number }
  | { readonly kind: 'calendar'; readonly unit: CalendarUnit; readonly timeZone: string };

export const fixedSchedule = (periodMs: number): Schedule => ({ kind: 'fixed', periodMs });

/** A stable name for a schedule: `fixed/3600000`, `month@Europe/Paris`. */
export function scheduleKey(s: Schedule): string {
  return s.kind === 'fixed' ? `fixed/${s.periodMs}` : `${s.unit}@${s.timeZone}`;
}

/** The period of schedule `s` the instant `ms` falls in (every instant is in exactly one). */
export function periodIn(s: Schedule, ms: number): Period {
  if (s.kind === 'fixed') {
    const startMs = Math.floor(ms / s.periodMs) * s.periodMs;
    return {
      id: new Date(startMs).toISOString(),
      startMs,
      endMs: startMs + s.periodMs,
      unit: 'fixed',
      timeZone: 'UTC',
    };
  }
  const p = calendarPeriodOf(ms, s);
  return { ...p, unit: s.unit, timeZone: s.timeZone };
}

export const nextPeriodIn = (s: Schedule, p: Period): Period => periodIn(s, p.endMs);
export const previousPeriodIn = (s: Schedule, p: Period): Period => periodIn(s, p.startMs - 1);

/** The schedule a period (from `periodIn` or `parsePeriodId`) belongs to. */
export function scheduleOf(p: Period): Schedule {
  if (p.unit === undefined || p.unit === 'fixed') return fixedSchedule(p.endMs - p.startMs);
  return { kind: 'calendar', unit: p.unit, timeZone: p.timeZone ?? 'UTC' };
}

const CALENDAR_ID = /^(\d{4})-(?:(\d{2})|W(\d{2})|(\d{2})-(\d{2}))@(.+)$/;

/**
 * The period a client names, checked: a calendar id (`2026-11@Europe/Paris`, `2026-W49@UTC`,
 * `2026-11-30@Asia/Tokyo`) or the ISO start of a fixed period of `fixedPeriodMs`. Anything else —
 * a malformed id, an unknown zone, a date that does not exist, an instant that starts no period —
 * is VALIDATION_FAILED.
 */
export function parsePeriodId(periodId: string, fixedPeriodMs: number): Period {
  const m = CALENDAR_ID.exec(periodId);
  if (!m) {
    if (periodId.includes('@'))
      throw new FederaError(
        'VALIDATION_FAILED',
        `periodId '${periodId.slice(0, 80)}' is not a calendar period (YYYY-MM, YYYY-Www or YYYY-MM-DD, then @zone)`,
      );
    return fixedPeriodById(periodId, fixedPeriodMs);
  }
  const [, year, month, week, dayMonth, day, zone] = m as unknown as [
    string,
    string,
    ...(string | undefined)[],
  ];
  const unit: CalendarUnit = month ? 'month' : week ? 'week' : 'day';
  const spec = calendarSpec(unit, zone ?? '');
  let first: Temporal.PlainDate;
  try {
    first =
      unit === 'month'
        ? Temporal.PlainDate.from({ year: +year, month: +month!, day: 1 }, { overflow: 'reject' })
        : unit === 'day'
          ? Temporal.PlainDate.from({ year: +year, month: +dayMonth!, day: +day! }, { overflow: 'reject' })
          : isoWeekMonday(+year, +week!);
  } catch {
    throw new FederaError('VALIDATION_FAILED', `periodId '${periodId}' names a date that does not exist`);
  }
  const startMs = first.toZonedDateTime({ timeZone: spec.timeZone }).startOfDay().epochMilliseconds;
  const period = periodIn({ kind: 'calendar', ...spec }, startMs);
  if (period.id !== periodId)
    throw new FederaError(
      'VALIDATION_FAILED',
      `periodId '${periodId}' is not a period of ${unit}s in ${spec.timeZone} (that one is '${period.id}')`,
    );
  return period;
}

/** Monday of ISO week `week` of ISO week-year `year` (week 1 holds January 4th). */
function isoWeekMonday(year: number, week: number): Temporal.PlainDate {
  const jan4 = Temporal.PlainDate.from({ year, month: 1, day: 4 });
  return jan4.subtract({ days: jan4.dayOfWeek - 1 }).add({ weeks: week - 1 });
}

function fixedPeriodById(periodId: string, periodMs: number): Period {
  const startMs = Date.parse(periodId);
  if (!Number.isFinite(startMs))
    throw new FederaError('VALIDATION_FAILED', `periodId '${periodId.slice(0, 80)}' is not an ISO time`);
  const p = periodIn(fixedSchedule(periodMs), startMs);
  if (p.startMs !== startMs)
    throw new FederaError(
      'VALIDATION_FAILED',
      `periodId '${periodId}' is not the start of a period (periods are ${periodMs} ms, from ${p.id})`,
    );
  return p;
}

/**
 * The schedule a pair settles on: its agreement's calendar, or the federation's default (no
 * agreement, or one that sets no period: only a currency or a dispute window).
 */
export function scheduleOfPair(topology: TopologyIndex, a: string, b: string, fallback: Schedule): Schedule {
  const agreement = topology.agreement(a, b);
  if (!agreement?.period) return fallback;
  return { kind: 'calendar', unit: agreement.period, timeZone: canonicalZone(agreement.timeZone) };
}

/** Every schedule some pair may settle on: the default, then each agreement's, without repeats. */
export function schedulesInUse(topology: TopologyIndex, fallback: Schedule): Schedule[] {
  const byKey = new Map<string, Schedule>([[scheduleKey(fallback), fallback]]);
  for (const a of topology.topology.agreements) {
    const s = scheduleOfPair(topology, a.parties[0], a.parties[1], fallback);
    byKey.set(scheduleKey(s), s);
  }
  return [...byKey.values()];
}

/**
 * Which pairs a run settles: those whose schedule is the run's. Asked once per usage record, so
 * the answer is kept per (serving, home) pair.
 */
export class ScheduleMembership {
  private readonly cache = new Map<string, Map<string, boolean>>();
  private readonly key: string;

  constructor(
    private readonly topology: TopologyIndex,
    private readonly fallback: Schedule,
    schedule: Schedule,
  ) {
    this.key = scheduleKey(schedule);
  }

  includes(serving: string, home: string): boolean {
    let row = this.cache.get(serving);
    if (!row) this.cache.set(serving, (row = new Map<string, boolean>()));
    let yes = row.get(home);
    if (yes === undefined) {
      yes = scheduleKey(scheduleOfPair(this.topology, serving, home, this.fallback)) === this.key;
      row.set(home, yes);
    }
    return yes;
  }
}

/** agreements may spell a zone as an alias or in another case; period ids use the canonical name */
const canonicalZone = (tz: string) => calendarSpec('month', tz).timeZone;
