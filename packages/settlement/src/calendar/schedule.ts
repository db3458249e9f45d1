/**
 * Settlement schedules (issue 13): the periods an operator pair settles in. A schedule is either a
 * calendar (a day, ISO week or month in an IANA time zone, what partner operators agree on) or
 * fixed-length (epoch-aligned `periodMs`, ISO-instant ids: for dev and tests, where waiting for a
 * calendar day to close is not an option). A pair with an agreement settles on its agreed
 * calendar; every other pair on the federation's default schedule (configuration). Agreements are
 * effective-dated, so which schedule settles a record is decided per record, by the agreement in
 * force at the record's time (its `completedAt`, the control plane's clock).
 *
 * A period id names its schedule (calendar ids carry their zone: `2026-11@Europe/Paris`; fixed ids
 * are ISO instants), so ids of different schedules never collide, and an id alone says which
 * periods it belongs to.
 */
import { Temporal } from 'temporal-polyfill';
import { FederaError, agreementStartMs, type Agreement, type TopologyIndex } from '@federa/domain';
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

/** The schedule an agreement settles on: its calendar, or the default when it sets no period. */
export function scheduleOfAgreement(agreement: Agreement | undefined, fallback: Schedule): Schedule {
  if (!agreement?.period) return fallback;
  return { kind: 'calendar', unit: agreement.period, timeZone: canonicalZone(agreement.timeZone) };
}

/**
 * One stretch of a pair's settlement history: in force from `fromMs` (inclusive; -Infinity: since
 * the beginning) until the next segment's `fromMs`.
 */
export interface ScheduleSegment {
  readonly fromMs: number;
  readonly schedule: Schedule;
  /** the agreement in force (undefined: none yet, the federation's defaults) */
  readonly agreement: Agreement | undefined;
}

/**
 * A pair's agreements as segments, oldest first: the federation's default until its first agreement
 * starts (when that one has an `effectiveFrom`), then each agreement until the next one starts.
 */
export function pairSegments(
  topology: TopologyIndex,
  a: string,
  b: string,
  fallback: Schedule,
): ScheduleSegment[] {
  const history = topology.agreementsOf(a, b);
  const segments: ScheduleSegment[] = [];
  if (history.length === 0 || agreementStartMs(history[0]!) > -Infinity)
    segments.push({ fromMs: -Infinity, schedule: fallback, agreement: undefined });
  for (const agreement of history)
    segments.push({
      fromMs: agreementStartMs(agreement),
      schedule: scheduleOfAgreement(agreement, fallback),
      agreement,
    });
  return segments;
}

/**
 * The schedule a pair settles a record of time `atMs` on (default: now): the calendar of the
 * agreement in force then, or the federation's default (no agreement in force, or one that sets no
 * period: only a currency or a dispute window).
 */
export function scheduleOfPair(
  topology: TopologyIndex,
  a: string,
  b: string,
  fallback: Schedule,
  atMs = Date.now(),
): Schedule {
  return scheduleOfAgreement(topology.agreement(a, b, atMs), fallback);
}

/**
 * Every schedule some record may settle on: the default, then each agreement's, past ones included
 * (late usage of a record dated before a switch still settles on the schedule of its own time),
 * without repeats.
 */
export function schedulesInUse(topology: TopologyIndex, fallback: Schedule): Schedule[] {
  const byKey = new Map<string, Schedule>([[scheduleKey(fallback), fallback]]);
  for (const a of topology.topology.agreements) {
    const s = scheduleOfAgreement(a, fallback);
    byKey.set(scheduleKey(s), s);
  }
  return [...byKey.values()];
}

/**
 * When each schedule in use starts to be needed: schedule key → the starts of the pair segments on
 * it (-Infinity: some pair is on it since the beginning). The default is needed since the beginning.
 */
export function scheduleStarts(topology: TopologyIndex, fallback: Schedule): Map<string, number[]> {
  const starts = new Map<string, number[]>([[scheduleKey(fallback), [-Infinity]]]);
  for (const [, history] of topology.agreementPairs) {
    const [a, b] = history[0]!.parties;
    for (const seg of pairSegments(topology, a, b, fallback)) {
      const key = scheduleKey(seg.schedule);
      starts.set(key, [...(starts.get(key) ?? []), seg.fromMs]);
    }
  }
  return starts;
}

/**
 * Whether one pair's records settle on a run's schedule, decided by each record's time. A pair that
 * never changes schedule has one answer for all its records (`always`), so its records cost no
 * search; otherwise the answer is that of the segment holding the record's time.
 */
export interface PairMembership {
  /** the answer for every record of the pair, or null: it depends on the record's time */
  readonly always: boolean | null;
  /** the instants (ascending) where the answer changes */
  readonly switches: readonly number[];
  /** the answer before the first switch, then after each (switches.length + 1 entries) */
  readonly member: readonly boolean[];
}

/** The membership answer for a record of time `atMs`. */
export function settlesAt(m: PairMembership, atMs: number): boolean {
  if (m.always !== null) return m.always;
  const { switches } = m;
  let i = 0;
  while (i < switches.length && atMs >= switches[i]!) i++;
  return m.member[i]!;
}

/**
 * Which records a run settles: those whose pair's schedule at the record's time is the run's. Kept
 * per (serving, home) pair, worked out on the pair's first record.
 */
export class ScheduleMembership {
  private readonly cache = new Map<string, Map<string, PairMembership>>();
  readonly key: string;

  constructor(
    private readonly topology: TopologyIndex,
    readonly fallback: Schedule,
    readonly schedule: Schedule,
  ) {
    this.key = scheduleKey(schedule);
  }

  /** The pair's membership rule (cached). */
  of(serving: string, home: string): PairMembership {
    let row = this.cache.get(serving);
    if (!row) this.cache.set(serving, (row = new Map<string, PairMembership>()));
    let m = row.get(home);
    if (m === undefined) {
      m = this.compute(serving, home);
      row.set(home, m);
    }
    return m;
  }

  /** Whether a record of the pair, of time `atMs`, settles on this schedule. */
  includes(serving: string, home: string, atMs: number): boolean {
    return settlesAt(this.of(serving, home), atMs);
  }

  /**
   * The agreement a statement of the pair in `period` follows (its currency, dispute window): the
   * one in force at the latest instant of the period at which the pair settles on this schedule; for
   * a period of a schedule the pair left (only late usage), the last one it had on it.
   */
  agreementFor(a: string, b: string, period: { startMs: number; endMs: number }): Agreement | undefined {
    const segments = pairSegments(this.topology, a, b, this.fallback);
    let found: ScheduleSegment | undefined;
    for (const seg of segments)
      if (seg.fromMs < period.endMs && scheduleKey(seg.schedule) === this.key) found = seg;
    return found ? found.agreement : this.topology.agreement(a, b, period.endMs - 1);
  }

  private compute(serving: string, home: string): PairMembership {
    const switches: number[] = [];
    const member: boolean[] = [];
    for (const seg of pairSegments(this.topology, serving, home, this.fallback)) {
      const yes = scheduleKey(seg.schedule) === this.key;
      if (member.length === 0) member.push(yes);
      else if (member.at(-1) !== yes) {
        switches.push(seg.fromMs);
        member.push(yes);
      }
    }
    return { always: switches.length === 0 ? member[0]! : null, switches, member };
  }
}

/** agreements may spell a zone as an alias or in another case; period ids use the canonical name */
const canonicalZone = (tz: string) => calendarSpec('month', tz).timeZone;
