import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FederaError } from '@federa/domain';
import { calendarPeriodOf, calendarSpec, nextCalendarPeriod, type CalendarUnit } from './periods';

const HOUR = 3_600_000;
/** zones with every kind of irregularity: DST north and south, 30-minute DST, odd offsets, none */
const ZONES = [
  'UTC',
  'Europe/Paris',
  'Europe/Stockholm',
  'America/New_York',
  'Asia/Tokyo',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'America/Santiago',
  'Asia/Tehran',
];
const UNITS: CalendarUnit[] = ['day', 'week', 'month'];
const instant = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2060, 0, 1) });
const spec = fc
  .tuple(fc.constantFrom(...UNITS), fc.constantFrom(...ZONES))
  .map(([unit, zone]) => calendarSpec(unit, zone));

const local = (ms: number, timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(ms));

describe('calendar periods', () => {
  it('put every instant in exactly one period: it contains it, and periods tile time', () => {
    fc.assert(
      fc.property(instant, spec, (ms, s) => {
        const p = calendarPeriodOf(ms, s);
        expect(p.startMs).toBeLessThanOrEqual(ms);
        expect(ms).toBeLessThan(p.endMs);
        // its own bounds: the first instant is in it, the last millisecond too, the end is not
        expect(calendarPeriodOf(p.startMs, s)).toEqual(p);
        expect(calendarPeriodOf(p.endMs - 1, s)).toEqual(p);
        const next = nextCalendarPeriod(p, s);
        expect(next.startMs).toBe(p.endMs);
        expect(next.id).not.toBe(p.id);
        expect(calendarPeriodOf(p.startMs - 1, s).endMs).toBe(p.startMs);
      }),
      { numRuns: 2_000 },
    );
  }, 60_000); // 2,000 generated instants through the Temporal polyfill: seconds on a busy machine

  it('start on a local day boundary: the 1st of the month, a Monday, or the day itself', () => {
    fc.assert(
      fc.property(instant, spec, (ms, s) => {
        const p = calendarPeriodOf(ms, s);
        const start = local(p.startMs, s.timeZone);
        // midnight, or the first instant of a day whose midnight a DST change skipped
        expect(calendarPeriodOf(p.startMs, { unit: 'day', timeZone: s.timeZone }).startMs).toBe(p.startMs);
        if (s.unit === 'month') expect(start.slice(8, 10)).toBe('01');
        if (s.unit === 'week') {
          const weekday = new Intl.DateTimeFormat('en', { timeZone: s.timeZone, weekday: 'short' }).format(
            new Date(p.startMs),
          );
          expect(weekday).toBe('Mon');
        }
        const hours = (p.endMs - p.startMs) / HOUR;
        const days = { day: [1, 1], week: [7, 7], month: [28, 31] }[s.unit];
        // a DST change moves a period's length by at most an hour (Lord Howe: half an hour)
        expect(hours).toBeGreaterThanOrEqual(days[0]! * 24 - 1);
        expect(hours).toBeLessThanOrEqual(days[1]! * 24 + 1);
      }),
      { numRuns: 1_000 },
    );
  }, 60_000);

  it('count daylight-saving days at their real length', () => {
    const paris = calendarSpec('day', 'Europe/Paris');
    // spring forward 2026-03-29 (23 h), fall back 2026-10-25 (25 h)
    const spring = calendarPeriodOf(Date.UTC(2026, 2, 29, 12), paris);
    expect(spring.id).toBe('2026-03-29@Europe/Paris');
    expect((spring.endMs - spring.startMs) / HOUR).toBe(23);
    const autumn = calendarPeriodOf(Date.UTC(2026, 9, 25, 12), paris);
    expect((autumn.endMs - autumn.startMs) / HOUR).toBe(25);
    // March 2026 in Paris: 31 days less the lost hour; it starts at 23:00 UTC on Feb 28
    const march = calendarPeriodOf(Date.UTC(2026, 2, 15), calendarSpec('month', 'Europe/Paris'));
    expect(march).toEqual({
      id: '2026-03@Europe/Paris',
      startMs: Date.UTC(2026, 1, 28, 23),
      endMs: Date.UTC(2026, 2, 31, 22),
    });
    // Lord Howe's half-hour change: 2026-04-05 is 24.5 h long
    const howe = calendarPeriodOf(Date.UTC(2026, 3, 5, 3), calendarSpec('day', 'Australia/Lord_Howe'));
    expect((howe.endMs - howe.startMs) / HOUR).toBe(24.5);
  });

  it('starts a day whose midnight does not exist at its first instant', () => {
    // Santiago springs forward at 00:00 → 01:00: 2026-09-06 starts at 01:00 local (04:00 UTC)
    const day = calendarPeriodOf(Date.UTC(2026, 8, 6, 12), calendarSpec('day', 'America/Santiago'));
    expect(day.id).toBe('2026-09-06@America/Santiago');
    expect(local(day.startMs, 'America/Santiago')).toBe('2026-09-06, 01:00');
    expect((day.endMs - day.startMs) / HOUR).toBe(23);
  });

  it('knows leap days and ISO week years', () => {
    const feb = calendarPeriodOf(Date.UTC(2028, 1, 10), calendarSpec('month', 'UTC'));
    expect((feb.endMs - feb.startMs) / (24 * HOUR)).toBe(29);
    expect(calendarPeriodOf(Date.UTC(2028, 1, 29, 12), calendarSpec('day', 'Asia/Tokyo')).id).toBe(
      '2028-02-29@Asia/Tokyo',
    );
    // 2027-01-01 is a Friday: it belongs to ISO week 53 of 2026, which began on Monday 2026-12-28
    const week = calendarPeriodOf(Date.UTC(2027, 0, 1, 12), calendarSpec('week', 'UTC'));
    expect(week).toEqual({
      id: '2026-W53@UTC',
      startMs: Date.UTC(2026, 11, 28),
      endMs: Date.UTC(2027, 0, 4),
    });
  });

  it('decides the period by the time zone: the same instant is in different months', () => {
    const ms = Date.UTC(2026, 10, 30, 23, 30); // 30 Nov 23:30 UTC
    expect(calendarPeriodOf(ms, calendarSpec('month', 'America/New_York')).id).toBe(
      '2026-11@America/New_York',
    );
    expect(calendarPeriodOf(ms, calendarSpec('month', 'Asia/Tokyo')).id).toBe('2026-12@Asia/Tokyo');
  });

  it('refuses an unknown unit or time zone, and a non-integer instant, with VALIDATION_FAILED', () => {
    for (const bad of [
      () => calendarSpec('year', 'UTC'),
      () => calendarSpec('month', 'Mars/Olympus_Mons'),
      () => calendarSpec('month', ''),
      () => calendarPeriodOf(1.5, calendarSpec('day', 'UTC')),
    ]) {
      expect(bad).toThrow(FederaError);
      try {
        bad();
      } catch (err) {
        expect((err as FederaError).code).toBe('VALIDATION_FAILED');
      }
    }
    expect(calendarSpec('month', 'europe/paris').timeZone).toBe('Europe/Paris');
  });
});
