import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FederaError } from '@federa/domain';
import { archivableUntil } from './archive-frontier';
import type { Period } from '../statement';
import { dueAcross } from './due-periods';
import { type CalendarUnit } from './periods';
import {
  fixedSchedule,
  nextPeriodIn,
  parsePeriodId,
  periodIn,
  previousPeriodIn,
  scheduleKey,
  scheduleOf,
  type Schedule,
} from './schedule';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ZONES = [
  'UTC',
  'Europe/Paris',
  'Asia/Tokyo',
  'America/Santiago',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
];
const UNITS: CalendarUnit[] = ['day', 'week', 'month'];
const instant = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) });
const calendar = fc
  .tuple(fc.constantFrom(...UNITS), fc.constantFrom(...ZONES))
  .map(([unit, timeZone]): Schedule => ({ kind: 'calendar', unit, timeZone }));
const schedule = fc.oneof(
  calendar,
  fc.constantFrom(HOUR, 6 * HOUR, DAY).map((ms) => fixedSchedule(ms)),
);

/** what a federation runs: agreements' calendars, and at most one fixed schedule (the default) */
const inUse = fc
  .tuple(
    fc.option(fc.constantFrom(HOUR, 6 * HOUR, DAY).map((ms) => fixedSchedule(ms))),
    fc.uniqueArray(calendar, { maxLength: 3, selector: scheduleKey }),
  )
  .map(([fixed, calendars]) => (fixed ? [fixed, ...calendars] : calendars))
  .filter((all) => all.length > 0);

const validation = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(FederaError);
    return (err as FederaError).code;
  }
  return 'no error';
};

describe('settlement schedules', () => {
  it('name every period so that its id alone gives it back (and its schedule)', () => {
    fc.assert(
      fc.property(instant, schedule, (ms, s) => {
        const p = periodIn(s, ms);
        expect(p.startMs <= ms && ms < p.endMs).toBe(true);
        expect(parsePeriodId(p.id, s.kind === 'fixed' ? s.periodMs : HOUR)).toEqual(p);
        expect(scheduleKey(scheduleOf(p))).toBe(scheduleKey(s));
        expect(nextPeriodIn(s, p).startMs).toBe(p.endMs);
        expect(previousPeriodIn(s, p).endMs).toBe(p.startMs);
      }),
      { numRuns: 300 },
    );
  });

  it('keep ids of different schedules apart: one instant, one distinct id per schedule', () => {
    fc.assert(
      fc.property(instant, (ms) => {
        const all: Schedule[] = [
          fixedSchedule(DAY),
          ...UNITS.flatMap((unit) =>
            ZONES.map((timeZone): Schedule => ({ kind: 'calendar', unit, timeZone })),
          ),
        ];
        const ids = all.map((s) => periodIn(s, ms).id);
        expect(new Set(ids).size).toBe(ids.length);
      }),
      { numRuns: 50 },
    );
  });

  it('parse calendar ids by their exact boundaries (DST, leap day, skipped midnight)', () => {
    // Paris springs forward on 2026-03-29 (a 23-hour day) and falls back on 2026-10-25 (25 hours)
    const spring = parsePeriodId('2026-03-29@Europe/Paris', HOUR);
    expect([spring.startMs, spring.endMs]).toEqual([Date.UTC(2026, 2, 28, 23), Date.UTC(2026, 2, 29, 22)]);
    const autumn = parsePeriodId('2026-10-25@Europe/Paris', HOUR);
    expect(autumn.endMs - autumn.startMs).toBe(25 * HOUR);
    const march = parsePeriodId('2026-03@Europe/Paris', HOUR);
    expect(march.endMs - march.startMs).toBe(31 * DAY - HOUR);
    expect(parsePeriodId('2028-02-29@UTC', HOUR).startMs).toBe(Date.UTC(2028, 1, 29));
    expect(parsePeriodId('2028-02@UTC', HOUR).endMs - Date.UTC(2028, 1, 1)).toBe(29 * DAY);
    // Santiago skips midnight into 2026-09-06 (clocks go from 24:00 to 01:00)
    const skipped = parsePeriodId('2026-09-06@America/Santiago', HOUR);
    expect(skipped.endMs - skipped.startMs).toBe(23 * HOUR);
    expect(new Date(skipped.startMs).toISOString()).toBe('2026-09-06T04:00:00.000Z');
    // ISO weeks: 2026-W53 exists (2026 ends on a Thursday), its Monday is 2026-12-28
    expect(parsePeriodId('2026-W53@UTC', HOUR).startMs).toBe(Date.UTC(2026, 11, 28));
    expect(parsePeriodId('2026-W01@UTC', HOUR).startMs).toBe(Date.UTC(2025, 11, 29));
  });

  it('refuse ids that name no period, with VALIDATION_FAILED and a reason', () => {
    for (const bad of [
      '2027-02-29@UTC', // not a leap year
      '2026-13@UTC',
      '2027-W53@UTC', // 2027 has 52 ISO weeks
      '2026-11@Mars/Olympus',
      '2026-11@',
      '30/11/2026', // not an ISO instant either
      '2026-11-30T00:30:00.000Z', // not the start of an hour
      'yesterday@UTC',
    ])
      expect(
        validation(() => parsePeriodId(bad, HOUR)),
        bad,
      ).toBe('VALIDATION_FAILED');
    expect(() => parsePeriodId('2026-11@europe/paris', HOUR)).toThrow(/that one is '2026-11@Europe\/Paris'/);
    expect(() => parsePeriodId('2026-11@Mars/Olympus', HOUR)).toThrow(/unknown time zone/);
  });
});

describe('catch-up across schedules', () => {
  it('lists every closed unsettled period of each schedule from its cursor, oldest first, bounded', () => {
    fc.assert(
      fc.property(
        inUse,
        instant,
        fc.integer({ min: 0, max: 40 * DAY }),
        fc.integer({ min: 0, max: 10 * 60_000 }),
        fc.integer({ min: 1, max: 60 }),
        (schedules, cursorAt, downtime, graceMs, maxPeriods) => {
          const nowMs = cursorAt + downtime;
          const cursors = new Map(schedules.map((s) => [scheduleKey(s), periodIn(s, cursorAt).startMs]));
          const due = dueAcross({
            schedules,
            cursor: (k) => cursors.get(k) ?? null,
            isSettled: () => false,
            nowMs,
            graceMs,
            maxPeriods,
          });
          expect(due.length).toBeLessThanOrEqual(maxPeriods);
          for (let i = 1; i < due.length; i++)
            expect(due[i]!.endMs).toBeGreaterThanOrEqual(due[i - 1]!.endMs);
          for (const p of due) expect(p.endMs + graceMs).toBeLessThanOrEqual(nowMs);
          expect(new Set(due.map((p) => p.id)).size).toBe(due.length);
          // when nothing was cut off, each schedule's due periods tile [cursor, last closed end)
          const unbounded = dueAcross({
            schedules,
            cursor: (k) => cursors.get(k) ?? null,
            isSettled: () => false,
            nowMs,
            graceMs,
            maxPeriods: 2_000,
          });
          // a run takes the oldest: after a long outage the next run goes on from there
          expect(due).toEqual(unbounded.slice(0, maxPeriods));
          const perSchedule = schedules.map((s) =>
            unbounded.filter((p) => scheduleKey(scheduleOf(p)) === scheduleKey(s)),
          );
          for (const [i, s] of schedules.entries()) {
            const mine = perSchedule[i]!;
            if (mine.length === 0) continue;
            expect(mine[0]!.startMs).toBe(cursors.get(scheduleKey(s)));
            for (let i = 1; i < mine.length; i++) expect(mine[i]!.startMs).toBe(mine[i - 1]!.endMs);
            expect(periodIn(s, nowMs - graceMs).startMs).toBe(mine.at(-1)!.endMs);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('settles every period of an outage longer than a run takes, run after run, oldest first', () => {
    fc.assert(
      fc.property(
        inUse,
        instant,
        fc.integer({ min: 0, max: 60 * DAY }),
        fc.integer({ min: 1, max: 12 }),
        (schedules, cursorAt, downtime, maxPeriods) => {
          const nowMs = cursorAt + downtime;
          const cursors = new Map(schedules.map((s) => [scheduleKey(s), periodIn(s, cursorAt).startMs]));
          const settled: Period[] = [];
          for (let run = 0; run < 10_000; run++) {
            const due = dueAcross({
              schedules,
              cursor: (k) => cursors.get(k) ?? null,
              isSettled: () => false,
              nowMs,
              graceMs: 0,
              maxPeriods,
            });
            if (due.length === 0) break;
            // what the engine does: settle each, oldest first, advancing its schedule's cursor
            for (const p of due) {
              expect(p.startMs).toBe(cursors.get(scheduleKey(scheduleOf(p))));
              cursors.set(scheduleKey(scheduleOf(p)), p.endMs);
              settled.push(p);
            }
          }
          // each schedule: settled without a gap from its cursor to the period still open
          for (const s of schedules) {
            const mine = settled.filter((p) => scheduleKey(scheduleOf(p)) === scheduleKey(s));
            let at = periodIn(s, cursorAt).startMs;
            for (const p of mine) {
              expect(p.startMs).toBe(at);
              at = p.endMs;
            }
            expect(at).toBe(periodIn(s, nowMs).startMs);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('skips settled periods and starts a schedule never settled at its last closed period', () => {
    const paris: Schedule = { kind: 'calendar', unit: 'day', timeZone: 'Europe/Paris' };
    const tokyo: Schedule = { kind: 'calendar', unit: 'month', timeZone: 'Asia/Tokyo' };
    const nowMs = Date.UTC(2026, 10, 30, 12);
    const due = dueAcross({
      schedules: [paris, tokyo],
      cursor: (k) => (k === scheduleKey(paris) ? Date.UTC(2026, 10, 26, 23) : null),
      isSettled: (id) => id === '2026-11-28@Europe/Paris',
      nowMs,
      graceMs: 0,
      maxPeriods: 48,
    });
    expect(due.map((p) => p.id)).toEqual([
      '2026-10@Asia/Tokyo', // ends 2026-10-31T15:00Z
      '2026-11-27@Europe/Paris',
      '2026-11-29@Europe/Paris',
    ]);
  });
});

describe('archive frontier across schedules', () => {
  it('cuts only where every schedule settled contiguously from the watermark and aged', () => {
    const fixed = fixedSchedule(6 * HOUR);
    const tokyo: Schedule = { kind: 'calendar', unit: 'day', timeZone: 'Asia/Tokyo' };
    const d1 = parsePeriodId('2026-11-10@Asia/Tokyo', HOUR); // 2026-11-09T15:00Z .. 2026-11-10T15:00Z
    const settled = new Set([
      '2026-11-09@Asia/Tokyo',
      '2026-11-10@Asia/Tokyo',
      ...[12, 18].map((h) => new Date(Date.UTC(2026, 10, 9, h)).toISOString()),
      ...[0, 6, 12, 18].map((h) => new Date(Date.UTC(2026, 10, 10, h)).toISOString()),
    ]);
    const input = {
      schedules: [fixed, tokyo],
      isSettled: (id: string) => settled.has(id),
      watermark: Date.UTC(2026, 10, 9, 12),
      nowMs: Date.UTC(2026, 11, 1),
      graceMs: 0,
      afterMs: 0,
    };
    // Tokyo's next day (11-11) is unsettled: the frontier is the end of 11-10 in Tokyo, 15:00Z
    expect(archivableUntil(input)).toEqual([
      Date.UTC(2026, 10, 9, 15),
      Date.UTC(2026, 10, 9, 18),
      Date.UTC(2026, 10, 10),
      Date.UTC(2026, 10, 10, 6),
      Date.UTC(2026, 10, 10, 12),
      d1.endMs,
    ]);
    // Tokyo's 11-10 closed less than afterMs ago: only up to the end of its 11-09
    expect(archivableUntil({ ...input, nowMs: d1.endMs, afterMs: HOUR })).toEqual([
      Date.UTC(2026, 10, 9, 15),
    ]);
    // a gap in the fixed schedule stops everything at the gap
    settled.delete(new Date(Date.UTC(2026, 10, 9, 18)).toISOString());
    expect(archivableUntil(input)).toEqual([Date.UTC(2026, 10, 9, 15), Date.UTC(2026, 10, 9, 18)]);
  });

  it('starts from the oldest settled period of each schedule when nothing is archived yet', () => {
    const fixed = fixedSchedule(HOUR);
    const ids = [new Date(Date.UTC(2026, 0, 1, 5)).toISOString(), '2026-01-01@UTC', 'junk'];
    expect(
      archivableUntil({
        schedules: [fixed, { kind: 'calendar', unit: 'day', timeZone: 'UTC' }],
        isSettled: (id) => ids.includes(id),
        settledIds: ids,
        watermark: 0,
        nowMs: Date.UTC(2026, 1, 1),
        graceMs: 0,
        afterMs: 0,
      }),
    ).toEqual([Date.UTC(2026, 0, 1, 6)]);
  });
});
