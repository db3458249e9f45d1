/**
 * Agreement changes over time, with the guard in the loop: a simulated federation settles every due
 * period of every schedule in use as time passes (cursors, catch-up, late usage), while an admin
 * adds, moves and removes effective-dated agreements — forward, back-dated, since the beginning.
 * Each run first compares the topology's schedule histories with the accepted ones; a refused
 * change (SCHEDULE_HISTORY_CONFLICT) is reverted by the admin. At the end, every roaming record was
 * settled exactly once, on the schedule of the agreement in force at its time in the final topology.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TopologyIndex } from '@federa/domain';
import { PeriodAggregator } from '../period-aggregator';
import { scheduleWorld, storedRecord } from './schedule-world.test-support';
import type { CalendarUnit } from './periods';
import { dueAcross } from './due-periods';
import { historyConflicts, scheduleHistories, type ScheduleHistories } from './schedule-history';
import {
  ScheduleMembership,
  fixedSchedule,
  scheduleKey,
  scheduleOf,
  scheduleOfPair,
  scheduleStarts,
  schedulesInUse,
} from './schedule';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const OPS = ['op-a', 'op-b', 'op-c'];
const PAIRS = [
  ['op-a', 'op-b'],
  ['op-a', 'op-c'],
] as const;
const FALLBACK = fixedSchedule(6 * HOUR);
const CALENDARS: { unit: CalendarUnit; timeZone: string }[] = [
  { unit: 'day', timeZone: 'UTC' },
  { unit: 'day', timeZone: 'Europe/Paris' },
  { unit: 'week', timeZone: 'America/New_York' },
  { unit: 'month', timeZone: 'Europe/Paris' },
];
const BASE = Date.UTC(2028, 1, 20); // across the leap day and March's DST changes

interface Entry {
  readonly from: number | null;
  /** index into CALENDARS, or null: an agreement without a period (the default schedule) */
  readonly cal: number | null;
}
type Agreements = readonly (readonly Entry[])[];

function topologyOf(agreements: Agreements) {
  return scheduleWorld(
    'changes',
    OPS,
    agreements.flatMap((entries, pair) =>
      entries.map((e) => ({
        parties: [...PAIRS[pair]!],
        ...(e.from === null ? {} : { effectiveFrom: new Date(e.from).toISOString() }),
        ...(e.cal === null ? {} : { period: CALENDARS[e.cal]!.unit, timeZone: CALENDARS[e.cal]!.timeZone }),
      })),
    ),
  );
}

const entry = (fromGen: fc.Arbitrary<number | null>) =>
  fc.record({ from: fromGen, cal: fc.option(fc.integer({ min: 0, max: CALENDARS.length - 1 })) });

/** an admin's change to one pair's agreements, relative to the time it is made */
const change = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    pair: fc.integer({ min: 0, max: PAIRS.length - 1 }),
    entry: entry(fc.option(fc.integer({ min: -3 * DAY, max: 3 * DAY }), { freq: 8 })),
  }),
  fc.record({
    kind: fc.constant('remove' as const),
    pair: fc.integer({ min: 0, max: PAIRS.length - 1 }),
    index: fc.nat(),
  }),
  fc.record({
    kind: fc.constant('move' as const),
    pair: fc.integer({ min: 0, max: PAIRS.length - 1 }),
    index: fc.nat(),
    to: fc.integer({ min: -3 * DAY, max: 3 * DAY }),
  }),
);

type ChangeT = typeof change extends fc.Arbitrary<infer T> ? T : never;

const scenario = fc.record({
  initial: fc.array(
    fc.uniqueArray(entry(fc.option(fc.integer({ min: -5 * DAY, max: 25 * DAY }).map((d) => BASE + d))), {
      maxLength: 3,
      selector: (e) => e.from,
    }),
    { minLength: PAIRS.length, maxLength: PAIRS.length },
  ),
  graceMs: fc.integer({ min: 0, max: HOUR }),
  steps: fc.array(
    fc.record({ advance: fc.integer({ min: HOUR, max: 2 * DAY }), change: fc.option(change) }),
    {
      maxLength: 14,
    },
  ),
  records: fc.array(
    fc.record({
      at: fc.integer({ min: 0, max: 20 * DAY }),
      delay: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 3 * DAY })),
      serving: fc.integer({ min: 0, max: OPS.length - 1 }),
      home: fc.integer({ min: 0, max: OPS.length - 1 }),
    }),
    { maxLength: 40 },
  ),
});

function apply(
  agreements: Agreements,
  c: fc.Arbitrary<unknown> extends never ? never : ChangeT,
  now: number,
) {
  const next = agreements.map((entries) => [...entries]);
  const list = next[c.pair]!;
  if (c.kind === 'add') {
    const from = c.entry.from === null ? null : now + c.entry.from;
    if (list.some((e) => e.from === from)) return null;
    list.push({ from, cal: c.entry.cal });
  } else if (list.length === 0) return null;
  else if (c.kind === 'remove') list.splice(c.index % list.length, 1);
  else {
    const i = c.index % list.length;
    const to = now + c.to;
    if (list.some((e) => e.from === to)) return null;
    list[i] = { ...list[i]!, from: to };
  }
  return next;
}

describe('agreement changes with the schedule-history guard', () => {
  it('settles every roaming record exactly once, whatever the admin changes and when', () => {
    fc.assert(
      fc.property(scenario, ({ initial, graceMs, steps, records }) => {
        const all = records.map((g, i) => storedRecord(OPS, { ...g, at: BASE + g.at }, i));
        let agreements: Agreements = initial;
        let accepted: ScheduleHistories | null = null;
        const cursors = new Map<string, number>();
        const settled = new Set<string>();
        const counted = new Map<string, string[]>();

        /** one settlement run at `now`: the guard, then every due period; false when refused */
        const run = (now: number, topology: TopologyIndex): boolean => {
          const current = scheduleHistories(topology, FALLBACK);
          if (accepted) {
            const conflicts = historyConflicts(accepted, current, FALLBACK, (k) => cursors.get(k) ?? null);
            if (conflicts.length > 0) return false;
          }
          accepted = current;
          const starts = scheduleStarts(topology, FALLBACK);
          const due = dueAcross({
            schedules: schedulesInUse(topology, FALLBACK),
            cursor: (k) => cursors.get(k) ?? null,
            starts: (k) => starts.get(k) ?? [],
            isSettled: (id) => settled.has(id),
            nowMs: now,
            graceMs,
            maxPeriods: 100_000,
          });
          for (const period of due) {
            const schedule = scheduleOf(period);
            const agg = new PeriodAggregator({
              federation: 'f',
              period,
              graceMs,
              settlementCurrency: 'EUR',
              fx: [],
              topology,
              periodMs: HOUR,
              schedule,
              membership: new ScheduleMembership(topology, FALLBACK, schedule),
            });
            for (const r of all) {
              if (r.postedAt < period.startMs || r.postedAt >= period.endMs + graceMs) continue;
              const kind = agg.add(r.record, r.postedAt);
              if (kind !== 'usage' && kind !== 'late-usage') continue;
              const ref = r.record.requestId;
              counted.set(ref, [...(counted.get(ref) ?? []), scheduleKey(schedule)]);
            }
            settled.add(period.id);
            const key = scheduleKey(schedule);
            cursors.set(key, Math.max(cursors.get(key) ?? -Infinity, period.endMs));
          }
          return true;
        };

        let now = BASE;
        expect(run(now, topologyOf(agreements))).toBe(true);
        for (const step of steps) {
          now += step.advance;
          const proposed = step.change ? apply(agreements, step.change, now) : null;
          if (proposed && run(now, topologyOf(proposed))) agreements = proposed;
          // refused: the admin puts the accepted agreements back, and settlement goes on
          else expect(run(now, topologyOf(agreements))).toBe(true);
        }
        const last = Math.max(now, ...all.map((r) => r.postedAt));
        const final = topologyOf(agreements);
        expect(run(last + 40 * DAY, final)).toBe(true);

        for (const { record } of all) {
          const found = counted.get(record.requestId) ?? [];
          if (record.servingOperator === record.homeOperator) {
            expect(found).toEqual([]);
            continue;
          }
          const own = scheduleOfPair(
            final,
            record.servingOperator,
            record.homeOperator,
            FALLBACK,
            Date.parse(record.completedAt),
          );
          expect(found).toEqual([scheduleKey(own)]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
