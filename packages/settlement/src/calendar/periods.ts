/**
 * Calendar settlement periods (issue 13): a day, an ISO week or a month as an operator pair's
 * clearing system counts it, in a named IANA time zone. Partner operators settle roaming by their own
 * calendar month, and a month in Europe/Paris is not a fixed number of milliseconds: its days are 23,
 * 24 or 25 hours long around daylight-saving changes, and some zones skip midnight altogether. The
 * arithmetic is the TC39 Temporal API's (the `temporal-polyfill` implementation, until Node ships
 * it), which resolves those cases by the spec: a period starts at the first instant of its first
 * local day, and ends where the next one starts, so consecutive periods tile time with no gap and
 * no overlap, and every instant (every usage record's control-plane time) is in exactly one.
 *
 * Not yet wired into the settlement engine, which still runs fixed epoch-aligned periods
 * (statement.ts `periodOf`); this is the calendar it will run on.
 */
import { Temporal } from 'temporal-polyfill';
import { FederaError } from '@federa/domain';

export type CalendarUnit = 'day' | 'week' | 'month';

export interface CalendarSpec {
  readonly unit: CalendarUnit;
  /** an IANA time zone name, e.g. Europe/Stockholm; UTC is one too */
  readonly timeZone: string;
}

export interface CalendarPeriod {
  /** `2026-11@Europe/Paris`, `2026-W49@Europe/Paris` (ISO week), `2026-11-30@Europe/Paris` */
  readonly id: string;
  /** first instant of the period, epoch ms (inclusive) */
  readonly startMs: number;
  /** first instant of the next period, epoch ms (exclusive) */
  readonly endMs: number;
}

const UNITS: readonly CalendarUnit[] = ['day', 'week', 'month'];

/** The spec, checked: a known unit and a time zone this runtime's time-zone database knows. */
export function calendarSpec(unit: string, timeZone: string): CalendarSpec {
  if (!UNITS.includes(unit as CalendarUnit))
    throw new FederaError('VALIDATION_FAILED', `period unit must be one of ${UNITS.join(', ')}`);
  let canonical: string;
  try {
    canonical = Temporal.Now.zonedDateTimeISO(timeZone).timeZoneId;
  } catch {
    throw new FederaError('VALIDATION_FAILED', `unknown time zone '${timeZone.slice(0, 64)}'`);
  }
  return { unit: unit as CalendarUnit, timeZone: canonical };
}

/** The period the instant `ms` falls in. */
export function calendarPeriodOf(ms: number, spec: CalendarSpec): CalendarPeriod {
  if (!Number.isSafeInteger(ms))
    throw new FederaError('VALIDATION_FAILED', 'instant must be integer epoch ms');
  const local = Temporal.Instant.fromEpochMilliseconds(ms).toZonedDateTimeISO(spec.timeZone);
  return periodStartingOn(firstDayOf(local.toPlainDate(), spec.unit), spec);
}

/** The period right after `period` (its start is `period.endMs`). */
export function nextCalendarPeriod(period: CalendarPeriod, spec: CalendarSpec): CalendarPeriod {
  return calendarPeriodOf(period.endMs, spec);
}

/** The first local day of the period containing `day`. */
function firstDayOf(day: Temporal.PlainDate, unit: CalendarUnit): Temporal.PlainDate {
  if (unit === 'day') return day;
  if (unit === 'week') return day.subtract({ days: day.dayOfWeek - 1 }); // ISO weeks start on Monday
  return day.with({ day: 1 });
}

function periodStartingOn(first: Temporal.PlainDate, spec: CalendarSpec): CalendarPeriod {
  const next =
    spec.unit === 'day'
      ? first.add({ days: 1 })
      : spec.unit === 'week'
        ? first.add({ weeks: 1 })
        : first.add({ months: 1 });
  // startOfDay: local midnight, or the first instant of the day where a DST change skips midnight
  const startMs = first.toZonedDateTime({ timeZone: spec.timeZone }).startOfDay().epochMilliseconds;
  const endMs = next.toZonedDateTime({ timeZone: spec.timeZone }).startOfDay().epochMilliseconds;
  return { id: `${label(first, spec.unit)}@${spec.timeZone}`, startMs, endMs };
}

function label(first: Temporal.PlainDate, unit: CalendarUnit): string {
  if (unit === 'day') return first.toString();
  if (unit === 'month') return first.toPlainYearMonth().toString();
  // the ISO week-numbering year can differ from the calendar year around New Year
  const week = first.weekOfYear ?? 0;
  const year = first.yearOfWeek ?? first.year;
  return `${year}-W${String(week).padStart(2, '0')}`;
}
