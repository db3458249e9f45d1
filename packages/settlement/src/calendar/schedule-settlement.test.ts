/**
 * Settlement over generated federations whose pairs settle on different schedules (agreements in
 * several time zones and units, a fixed or calendar default): run every period of every schedule
 * in use, consecutively, the way the engine does (records posted in [start, end + grace)), and
 * check that each roaming record lands exactly once, in its own pair's schedule, in the period of
 * its control-plane time, or as late usage naming that period.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredUsageRecord } from '@federa/domain';
import { PeriodAggregator } from '../period-aggregator';
import { scheduleWorld, storedRecord } from './schedule-world.test-support';
import { lineKeyOf, type Line } from '../statement';
import type { CalendarUnit } from './periods';
import {
  ScheduleMembership,
  fixedSchedule,
  nextPeriodIn,
  periodIn,
  scheduleKey,
  scheduleOfPair,
  schedulesInUse,
  type Schedule,
} from './schedule';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const OPS = ['op-a', 'op-b', 'op-c', 'op-d'];
const PAIRS = OPS.flatMap((a, i) => OPS.slice(i + 1).map((b) => [a, b] as const));
const ZONES = ['UTC', 'Europe/Paris', 'Asia/Tokyo', 'America/Santiago', 'Pacific/Chatham'];
const UNITS: CalendarUnit[] = ['day', 'week', 'month'];

function federation(agreements: { pair: number; unit: CalendarUnit; timeZone: string }[]) {
  return scheduleWorld(
    'schedules',
    OPS,
    agreements.map((a) => ({ parties: PAIRS[a.pair], period: a.unit, timeZone: a.timeZone })),
  );
}

interface Generated {
  readonly at: number;
  readonly delay: number;
  readonly serving: number;
  readonly home: number;
}

const BASE = Date.UTC(2028, 1, 25); // a leap February, then March's DST changes in Europe
const world = fc.record({
  agreements: fc.uniqueArray(
    fc.record({
      pair: fc.integer({ min: 0, max: PAIRS.length - 1 }),
      unit: fc.constantFrom(...UNITS),
      timeZone: fc.constantFrom(...ZONES),
    }),
    { maxLength: 4, selector: (a) => a.pair },
  ),
  fallback: fc.oneof(
    fc.constantFrom(6 * HOUR, DAY).map((ms) => fixedSchedule(ms)),
    fc
      .tuple(fc.constantFrom(...UNITS), fc.constantFrom(...ZONES))
      .map(([unit, timeZone]): Schedule => ({ kind: 'calendar', unit, timeZone })),
  ),
  graceMs: fc.integer({ min: 0, max: 30 * 60_000 }),
  records: fc.array(
    fc.record({
      at: fc.integer({ min: 0, max: 45 * DAY }),
      // mostly posted at once; some hours or days late (the site answered, the post lagged)
      delay: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 10 * DAY })),
      serving: fc.integer({ min: 0, max: OPS.length - 1 }),
      home: fc.integer({ min: 0, max: OPS.length - 1 }),
    }),
    { maxLength: 40 },
  ),
});

function stored(g: Generated, i: number): { record: StoredUsageRecord; postedAt: number } {
  return storedRecord(OPS, { ...g, at: BASE + g.at }, i);
}

describe('settlement on several schedules', () => {
  it('settles every roaming record exactly once, in its pair schedule, in its own period', () => {
    fc.assert(
      fc.property(world, ({ agreements, fallback, graceMs, records }) => {
        const topology = federation(agreements);
        const all = records.map(stored);
        const lastPost = Math.max(BASE, ...all.map((r) => r.postedAt));
        const seen = new Map<
          string,
          { line: Pick<Line, 'kind' | 'originalPeriod'>; schedule: string; run: string }[]
        >();
        for (const schedule of schedulesInUse(topology, fallback)) {
          const membership = new ScheduleMembership(topology, fallback, schedule);
          // consecutive runs from before the first record until after the last post
          for (
            let period = periodIn(schedule, BASE - 1);
            period.startMs <= lastPost;
            period = nextPeriodIn(schedule, period)
          ) {
            const input = {
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
              if (kind !== 'usage' && kind !== 'late-usage') continue;
              counted++;
              // the line the record counts in (lines hold no references since version 2)
              const { originalPeriod } = lineKeyOf(input, r.record, kind, Date.parse(r.record.completedAt));
              const ref = `${r.record.tenantId}/${r.record.recordId}`;
              seen.set(ref, [
                ...(seen.get(ref) ?? []),
                { line: { kind, originalPeriod }, schedule: scheduleKey(schedule), run: period.id },
              ]);
            }
            // and the aggregator's lines hold exactly those records
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
          const own = scheduleOfPair(topology, record.servingOperator, record.homeOperator, fallback);
          expect(schedule).toBe(scheduleKey(own));
          const period = periodIn(own, Date.parse(record.completedAt));
          if (line.kind === 'late-usage') expect(line.originalPeriod).toBe(period.id);
          else expect([line.kind, run]).toEqual(['usage', period.id]);
        }
        // nothing else was counted
        expect(seen.size).toBe(all.filter((r) => r.record.servingOperator !== r.record.homeOperator).length);
      }),
      { numRuns: 40 },
    );
  });
});
