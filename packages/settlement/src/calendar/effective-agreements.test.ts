/**
 * Effective-dated agreements: a pair switches schedule (fixed default → a Paris day → a New York
 * month → back to the default…) at generated instants — daylight-saving changes in Europe/Paris and
 * America/New_York, month ends, the leap day 2028-02-29, and arbitrary instants in between. Every
 * period of every schedule in use is run consecutively, as the engine does (records posted in
 * [start, end + grace)); each roaming record must land exactly once, in the schedule of the
 * agreement in force at its time, in the period of its time (or as late usage naming it). The two
 * periods that straddle a switch each settle their own part, and record derivation (proofs, line
 * references, exchange files) classifies the same records into the same lines.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PeriodAggregator } from '../period-aggregator';
import { scheduleWorld, storedRecord, type GeneratedRecord } from './schedule-world.test-support';
import { classify, lineKeyOf, type Line, type SettleInput } from '../statement';
import type { CalendarUnit } from './periods';
import {
  ScheduleMembership,
  fixedSchedule,
  nextPeriodIn,
  pairSegments,
  periodIn,
  scheduleKey,
  scheduleOfPair,
  schedulesInUse,
  type Schedule,
} from './schedule';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const OPS = ['op-a', 'op-b', 'op-c'];
const PAIRS = OPS.flatMap((a, i) => OPS.slice(i + 1).map((b) => [a, b] as const));
const ZONES = ['UTC', 'Europe/Paris', 'America/New_York'];
const UNITS: CalendarUnit[] = ['day', 'week', 'month'];

const BASE = Date.UTC(2028, 1, 20); // a leap February, then March's DST changes
/** instants where switches are most likely to go wrong */
const SPECIAL = [
  Date.UTC(2028, 1, 29), // leap day, UTC midnight
  Date.UTC(2028, 1, 28, 23), // leap day, Paris midnight
  Date.UTC(2028, 2, 1, 5), // March 1st, New York midnight (EST)
  Date.UTC(2028, 2, 12, 7), // New York springs forward (02:00 EST → 03:00 EDT)
  Date.UTC(2028, 2, 12, 6, 59, 59, 999),
  Date.UTC(2028, 2, 26, 1), // Paris springs forward (02:00 CET → 03:00 CEST)
  Date.UTC(2028, 2, 25, 23), // Paris midnight of its 23-hour day
  Date.UTC(2028, 2, 31, 22), // April 1st, Paris midnight (CEST)
  Date.UTC(2028, 3, 1), // month end, UTC
];

interface AgreementGen {
  readonly from: number | null;
  readonly unit: CalendarUnit | null;
  readonly timeZone: string;
  /** how effectiveFrom is spelled: Z, or a local offset */
  readonly offsetMin: number;
}

const agreementGen = fc.record({
  from: fc.oneof(
    fc.constant(null),
    fc.constantFrom(...SPECIAL),
    fc.integer({ min: BASE - 2 * DAY, max: BASE + 45 * DAY }),
  ),
  unit: fc.oneof(fc.constant(null), fc.constantFrom(...UNITS)),
  timeZone: fc.constantFrom(...ZONES),
  offsetMin: fc.constantFrom(0, 60, 120, -300, -240),
});

/** an ISO-8601 time of `ms` with the given UTC offset (`Z` for 0) */
function withOffset(ms: number, offsetMin: number): string {
  if (offsetMin === 0) return new Date(ms).toISOString();
  const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 23);
  const abs = Math.abs(offsetMin);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${offsetMin < 0 ? '-' : '+'}${hh}:${mm}`;
}

function federation(histories: readonly (readonly AgreementGen[])[]) {
  const agreements = histories.flatMap((history, pair) =>
    history.map((a) => ({
      parties: [...PAIRS[pair]!],
      ...(a.from === null ? {} : { effectiveFrom: withOffset(a.from, a.offsetMin) }),
      ...(a.unit === null ? {} : { period: a.unit }),
      timeZone: a.timeZone,
    })),
  );
  return scheduleWorld('effective', OPS, agreements);
}

/** per pair: up to four agreements, at most one without effectiveFrom, no two from the same instant */
const histories = fc.array(
  fc.uniqueArray(agreementGen, { maxLength: 4, selector: (a) => a.from ?? 'beginning' }),
  { minLength: PAIRS.length, maxLength: PAIRS.length },
);

const recordAt = fc.oneof(
  fc.integer({ min: 0, max: 45 * DAY }).map((d) => BASE + d),
  // right at a special instant, or a millisecond either side
  fc.tuple(fc.constantFrom(...SPECIAL), fc.integer({ min: -1, max: 1 })).map(([t, d]) => t + d),
);

const world = fc.record({
  histories,
  fallback: fc.oneof(
    fc.constantFrom(6 * HOUR, DAY).map((ms) => fixedSchedule(ms)),
    fc
      .tuple(fc.constantFrom(...UNITS), fc.constantFrom(...ZONES))
      .map(([unit, timeZone]): Schedule => ({ kind: 'calendar', unit, timeZone })),
  ),
  graceMs: fc.integer({ min: 0, max: 30 * 60_000 }),
  records: fc.array(
    fc.record({
      at: recordAt,
      delay: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 10 * DAY })),
      serving: fc.integer({ min: 0, max: OPS.length - 1 }),
      home: fc.integer({ min: 0, max: OPS.length - 1 }),
    }),
    { maxLength: 50 },
  ),
});

const stored = (g: GeneratedRecord, i: number) => storedRecord(OPS, g, i);

describe('effective-dated agreements', () => {
  it('settles every roaming record exactly once, on the schedule in force at its time, in its own period', () => {
    fc.assert(
      fc.property(world, ({ histories: h, fallback, graceMs, records }) => {
        const topology = federation(h);
        const all = records.map(stored);
        const firstAt = Math.min(BASE - 2 * DAY, ...all.map((r) => Date.parse(r.record.completedAt)));
        const lastPost = Math.max(BASE, ...all.map((r) => r.postedAt));
        const seen = new Map<
          string,
          { line: Pick<Line, 'kind' | 'originalPeriod'>; schedule: string; run: string }[]
        >();
        for (const schedule of schedulesInUse(topology, fallback)) {
          const membership = new ScheduleMembership(topology, fallback, schedule);
          for (
            let period = periodIn(schedule, firstAt - 1);
            period.startMs <= lastPost;
            period = nextPeriodIn(schedule, period)
          ) {
            const input: SettleInput = {
              federation: 'f',
              period,
              graceMs,
              settlementCurrency: 'EUR',
              fx: [],
              topology,
              periodMs: HOUR,
              schedule,
              membership,
            };
            const agg = new PeriodAggregator(input);
            let counted = 0;
            for (const r of all) {
              if (r.postedAt < period.startMs || r.postedAt >= period.endMs + graceMs) continue;
              const kind = agg.add(r.record, r.postedAt);
              // derivation (proofs, line references, exchange files) classifies the record the same way
              expect(classify(input, r.record, r.postedAt)).toBe(kind);
              if (kind !== 'usage' && kind !== 'late-usage') continue;
              counted++;
              const { originalPeriod } = lineKeyOf(input, r.record, kind, Date.parse(r.record.completedAt));
              const ref = `${r.record.tenantId}/${r.record.recordId}`;
              seen.set(ref, [
                ...(seen.get(ref) ?? []),
                { line: { kind, originalPeriod }, schedule: scheduleKey(schedule), run: period.id },
              ]);
            }
            expect(agg.result().reduce((n, l) => n + l.records, 0)).toBe(counted);
          }
        }
        for (const { record } of all) {
          const ref = `${record.tenantId}/${record.recordId}`;
          const found = seen.get(ref) ?? [];
          if (record.servingOperator === record.homeOperator) {
            expect(found).toEqual([]);
            continue;
          }
          expect(found).toHaveLength(1);
          const { line, schedule, run } = found[0]!;
          const atMs = Date.parse(record.completedAt);
          const own = scheduleOfPair(topology, record.servingOperator, record.homeOperator, fallback, atMs);
          expect(schedule).toBe(scheduleKey(own));
          const period = periodIn(own, atMs);
          if (line.kind === 'late-usage') expect(line.originalPeriod).toBe(period.id);
          else expect([line.kind, run]).toEqual(['usage', period.id]);
        }
        expect(seen.size).toBe(all.filter((r) => r.record.servingOperator !== r.record.homeOperator).length);
      }),
      { numRuns: 60 },
    );
  });

  it('splits the two periods straddling a switch: each settles its own part (Paris DST day)', () => {
    const paris: Schedule = { kind: 'calendar', unit: 'day', timeZone: 'Europe/Paris' };
    const fallback = fixedSchedule(6 * HOUR);
    // 2028-03-26 is Paris's 23-hour day; the switch is at 04:30 local (02:30Z), mid fixed period
    const switchAt = Date.UTC(2028, 2, 26, 2, 30);
    const topology = federation([
      [{ from: switchAt, unit: 'day', timeZone: 'Europe/Paris', offsetMin: 120 }],
      [],
      [],
    ]);
    const fixedPart = periodIn(fallback, switchAt); // 00:00Z–06:00Z
    const parisDay = periodIn(paris, switchAt); // 2028-03-26@Europe/Paris, 23 hours
    expect(parisDay.endMs - parisDay.startMs).toBe(23 * HOUR);
    const times = [
      fixedPart.startMs, // in the Paris day too, but before the switch: the fixed period's
      switchAt - 1,
      switchAt,
      fixedPart.endMs - 1,
      parisDay.endMs - 1,
    ];
    const all = times.map((at, i) => stored({ at, delay: 0, serving: 1, home: 0 }, i));
    const run = (schedule: Schedule, period: ReturnType<typeof periodIn>) => {
      const agg = new PeriodAggregator({
        federation: 'f',
        period,
        graceMs: 0,
        settlementCurrency: 'EUR',
        fx: [],
        topology,
        periodMs: HOUR,
        schedule,
        membership: new ScheduleMembership(topology, fallback, schedule),
      });
      return all.map((r) => agg.add(r.record, r.postedAt));
    };
    // the fixed period 00:00Z–06:00Z holds the first two (before the switch) and none after
    expect(run(fallback, fixedPart)).toEqual(['usage', 'usage', 'outside', 'outside', 'outside']);
    // the Paris day holds the three at or after the switch
    expect(run(paris, parisDay)).toEqual(['outside', 'outside', 'usage', 'usage', 'usage']);
    // a pair with one agreement is decided once, not per record
    const m = new ScheduleMembership(topology, fallback, paris);
    expect(m.of('op-a', 'op-c')).toEqual({ always: false, switches: [], member: [false] });
    expect(m.of('op-a', 'op-b')).toEqual({ always: null, switches: [switchAt], member: [false, true] });
    expect(pairSegments(topology, 'op-a', 'op-b', fallback).map((s) => s.fromMs)).toEqual([
      -Infinity,
      switchAt,
    ]);
  });

  it("prints the agreement the statement's records settled under: the one in force on its schedule", () => {
    const fallback = fixedSchedule(DAY);
    const nyMonth: Schedule = { kind: 'calendar', unit: 'month', timeZone: 'America/New_York' };
    // a New York month from the leap day on, back to the default from the spring-forward instant
    const topology = federation([
      [
        { from: Date.UTC(2028, 1, 29, 5), unit: 'month', timeZone: 'America/New_York', offsetMin: -300 },
        { from: Date.UTC(2028, 2, 12, 7), unit: null, timeZone: 'UTC', offsetMin: -240 },
      ],
      [],
      [],
    ]);
    const m = new ScheduleMembership(topology, fallback, nyMonth);
    const march = periodIn(nyMonth, Date.UTC(2028, 2, 5));
    expect(m.agreementFor('op-a', 'op-b', march)?.period).toBe('month');
    const feb = periodIn(nyMonth, Date.UTC(2028, 1, 29, 12));
    expect(m.agreementFor('op-a', 'op-b', feb)?.timeZone).toBe('America/New_York');
    // the default's statement of the switch-back day follows the later agreement (no period)
    const d = new ScheduleMembership(topology, fallback, fallback);
    expect(d.agreementFor('op-a', 'op-b', periodIn(fallback, Date.UTC(2028, 2, 12, 12)))?.period).toBe(
      undefined,
    );
    expect(d.includes('op-a', 'op-b', Date.UTC(2028, 2, 12, 6, 59, 59, 999))).toBe(false);
    expect(d.includes('op-a', 'op-b', Date.UTC(2028, 2, 12, 7))).toBe(true);
    expect(d.includes('op-a', 'op-b', Date.UTC(2028, 1, 29, 4, 59, 59, 999))).toBe(true);
  });
});
