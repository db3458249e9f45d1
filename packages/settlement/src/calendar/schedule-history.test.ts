/**
 * The schedule-history guard: an agreement change is accepted only where no schedule involved has
 * settled (its cursor is at or before the first instant the change moves records of); otherwise the
 * run is refused with SCHEDULE_HISTORY_CONFLICT and writes nothing. Also: a schedule a pair switched
 * to is caught up from the switch, and the archive frontier does not wait for periods before it.
 */
import { scheduleWorld } from './schedule-world.test-support';
import { describe, expect, it } from 'vitest';
import { FederaError, type Agreement } from '@federa/domain';
import { guardScheduleHistory, type SettlementConfig } from '../engine';
import type { SettlementStore } from '../store';
import { archivableUntil } from './archive-frontier';
import { dueAcross } from './due-periods';
import {
  DEFAULT_SCHEDULE,
  historyConflicts,
  scheduleHistories,
  type HistoryEntry,
  type ScheduleHistories,
} from './schedule-history';
import {
  fixedSchedule,
  periodIn,
  previousPeriodIn,
  scheduleKey,
  scheduleStarts,
  type Schedule,
} from './schedule';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FIXED = fixedSchedule(HOUR);
const UTC_DAY: Schedule = { kind: 'calendar', unit: 'day', timeZone: 'UTC' };
const T0 = Date.UTC(2026, 10, 30); // 2026-11-30T00:00Z

type AgreementInput = Omit<Partial<Agreement>, 'parties'> & { parties?: [string, string] };

function topology(agreements: AgreementInput[]) {
  return scheduleWorld(
    'h',
    ['a', 'b', 'c'],
    agreements.map((a) => ({ parties: ['a', 'b'], ...a })),
  );
}

const iso = (ms: number) => new Date(ms).toISOString();
const histories = (agreements: AgreementInput[], fallback: Schedule = FIXED) =>
  scheduleHistories(topology(agreements), fallback);
const cursors =
  (byKey: Record<string, number>) =>
  (key: string): number | null =>
    byKey[key] ?? null;

describe('schedule history', () => {
  it('names each pair history by schedule, the default symbolically, leaving always-default pairs out', () => {
    expect(histories([])).toEqual(new Map());
    // a currency-only agreement keeps the default: nothing to remember
    expect(histories([{ currency: 'SEK' }])).toEqual(new Map());
    expect(
      histories([
        { period: 'day', effectiveFrom: iso(T0 + 2 * HOUR) },
        { currency: 'SEK', effectiveFrom: iso(T0 + 5 * DAY) }, // back to the default
        { period: 'day', currency: 'SEK', effectiveFrom: iso(T0 + 6 * DAY) },
        { period: 'day', currency: 'NOK', effectiveFrom: iso(T0 + 7 * DAY) }, // same schedule: merged
      ]),
    ).toEqual(
      new Map([
        [
          'a~b',
          [
            { from: null, schedule: DEFAULT_SCHEDULE },
            { from: T0 + 2 * HOUR, schedule: 'day@UTC' },
            { from: T0 + 5 * DAY, schedule: DEFAULT_SCHEDULE },
            { from: T0 + 6 * DAY, schedule: 'day@UTC' },
          ],
        ],
      ]),
    );
  });

  it('accepts a switch that takes effect at or after every settled cursor involved', () => {
    const before = histories([]);
    const after = histories([{ period: 'day', effectiveFrom: iso(T0 + 2.5 * HOUR) }]);
    // the default settled up to 02:00, the day schedule never (or up to the day before)
    expect(historyConflicts(before, after, FIXED, cursors({ 'fixed/3600000': T0 + 2 * HOUR }))).toEqual([]);
    expect(
      historyConflicts(before, after, FIXED, cursors({ 'fixed/3600000': T0 + 2 * HOUR, 'day@UTC': T0 })),
    ).toEqual([]);
    // exactly at the cursor is fine too
    expect(historyConflicts(before, after, FIXED, cursors({ 'fixed/3600000': T0 + 2.5 * HOUR }))).toEqual([]);
  });

  it('refuses a back-dated switch: before the old schedule’s cursor, or the new schedule’s', () => {
    const before = histories([]);
    const after = histories([{ period: 'day', effectiveFrom: iso(T0 + 1.5 * HOUR) }]);
    // the default settled 01:00–02:00 already: records 01:30–02:00 would be counted twice
    expect(historyConflicts(before, after, FIXED, cursors({ 'fixed/3600000': T0 + 2 * HOUR }))).toEqual([
      { pair: 'a~b', changedFrom: T0 + 1.5 * HOUR, schedule: 'fixed/3600000', settledUntil: T0 + 2 * HOUR },
    ]);
    // the day schedule settled today already (other pairs): records from 01:30 would be lost
    expect(
      historyConflicts(before, after, FIXED, cursors({ 'fixed/3600000': T0 + HOUR, 'day@UTC': T0 + DAY })),
    ).toEqual([{ pair: 'a~b', changedFrom: T0 + 1.5 * HOUR, schedule: 'day@UTC', settledUntil: T0 + DAY }]);
  });

  it('refuses a rewrite of accepted history reaching settled periods, and adding a since-the-beginning agreement', () => {
    const accepted = histories([{ period: 'day', effectiveFrom: iso(T0 + 2 * HOUR) }]);
    const settled = cursors({ 'fixed/3600000': T0 + 2 * HOUR, 'day@UTC': T0 + DAY });
    // moving the switch earlier, later, deleting it or changing its calendar: all reach settled periods
    for (const rewrite of [
      [{ period: 'day', effectiveFrom: iso(T0 + HOUR) }],
      [{ period: 'day', effectiveFrom: iso(T0 + 3 * HOUR) }],
      [],
      [{ period: 'week', effectiveFrom: iso(T0 + 2 * HOUR) }],
    ] as AgreementInput[][])
      expect(historyConflicts(accepted, histories(rewrite), FIXED, settled)).not.toEqual([]);
    // the same history spelled otherwise (an offset, an extra currency-only agreement later) is no change
    expect(
      historyConflicts(
        accepted,
        histories([{ period: 'day', effectiveFrom: '2026-11-30T03:00:00+01:00', currency: 'SEK' }]),
        FIXED,
        settled,
      ),
    ).toEqual([]);
    // a further switch after everything settled is accepted
    expect(
      historyConflicts(
        accepted,
        histories([
          { period: 'day', effectiveFrom: iso(T0 + 2 * HOUR) },
          { period: 'month', timeZone: 'Europe/Paris', effectiveFrom: iso(T0 + 2 * DAY) },
        ]),
        FIXED,
        settled,
      ),
    ).toEqual([]);
    // an agreement without effectiveFrom rewrites the pair's whole past
    const conflicts = historyConflicts(new Map(), histories([{ period: 'day' }]), FIXED, settled);
    expect(conflicts.map((c) => [c.changedFrom, c.schedule])).toEqual([
      [null, 'day@UTC'],
      [null, 'fixed/3600000'],
    ]);
  });

  it('resolves the default when comparing: an agreement naming the default calendar changes nothing', () => {
    const monthUtc: Schedule = { kind: 'calendar', unit: 'month', timeZone: 'UTC' };
    const accepted = histories([], monthUtc);
    const current = histories([{ period: 'month', timeZone: 'UTC' }], monthUtc);
    expect(current.get('a~b')).toEqual([{ from: null, schedule: 'month@UTC' }]);
    expect(historyConflicts(accepted, current, monthUtc, cursors({ 'month@UTC': T0 }))).toEqual([]);
  });
});

/** A store double holding the accepted history and cursors, recording writes. */
function fakeStore(accepted: ScheduleHistories | null, byKey: Record<string, number>) {
  const writes: ScheduleHistories[] = [];
  const store = {
    acceptedScheduleHistory: () => Promise.resolve(accepted ? new Map(accepted) : null),
    acceptScheduleHistory: (h: ScheduleHistories) => {
      writes.push(h);
      return Promise.resolve();
    },
    cursor: (key: string) => Promise.resolve(byKey[key] ?? null),
  } as unknown as SettlementStore;
  return { store, writes };
}

const config: SettlementConfig = {
  federation: 'f',
  periodMs: HOUR,
  graceMs: 0,
  settlementCurrency: 'EUR',
};

describe('guardScheduleHistory', () => {
  it('accepts the first history it sees, and a forward switch, and writes only a change', async () => {
    const first = fakeStore(null, { 'fixed/3600000': T0 + 2 * HOUR });
    await guardScheduleHistory(first.store, config, topology([]), { accept: true });
    expect(first.writes).toEqual([new Map()]);

    const same = fakeStore(new Map(), { 'fixed/3600000': T0 + 2 * HOUR });
    await guardScheduleHistory(same.store, config, topology([]), { accept: true });
    expect(same.writes).toEqual([]);

    const forward = fakeStore(new Map(), { 'fixed/3600000': T0 + 2 * HOUR });
    const t = topology([{ period: 'day', effectiveFrom: iso(T0 + 2 * HOUR) }]);
    await guardScheduleHistory(forward.store, config, t, { accept: false });
    expect(forward.writes).toEqual([]);
    await guardScheduleHistory(forward.store, config, t, { accept: true });
    expect(forward.writes).toEqual([
      new Map<string, HistoryEntry[]>([
        [
          'a~b',
          [
            { from: null, schedule: 'default' },
            { from: T0 + 2 * HOUR, schedule: 'day@UTC' },
          ],
        ],
      ]),
    ]);
  });

  it('refuses a back-dated switch with SCHEDULE_HISTORY_CONFLICT and writes nothing', async () => {
    const { store, writes } = fakeStore(new Map(), { 'fixed/3600000': T0 + 3 * HOUR });
    const t = topology([{ period: 'day', effectiveFrom: '2026-11-30T02:30:00+01:00' }]);
    const err = await guardScheduleHistory(store, config, t, { accept: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FederaError);
    expect((err as FederaError).code).toBe('SCHEDULE_HISTORY_CONFLICT');
    expect((err as FederaError).message).toMatch(
      /a~b change its settlement schedule from 2026-11-30T01:30:00.000Z, but fixed\/3600000 is settled up to 2026-11-30T03:00:00.000Z/,
    );
    expect((err as FederaError).details).toEqual({
      conflicts: [
        {
          pair: 'a~b',
          changedFrom: '2026-11-30T01:30:00.000Z',
          schedule: 'fixed/3600000',
          settledUntil: '2026-11-30T03:00:00.000Z',
        },
      ],
    });
    expect(writes).toEqual([]);
  });
});

describe('catch-up and archive after a switch', () => {
  it('catches a never-settled schedule up from the switch when that is before its last closed period', () => {
    const t = topology([{ period: 'day', effectiveFrom: iso(T0 + 2 * HOUR) }]);
    const starts = scheduleStarts(t, FIXED);
    expect(starts.get('day@UTC')).toEqual([T0 + 2 * HOUR]);
    const now = T0 + 3 * DAY + HOUR;
    const due = dueAcross({
      schedules: [UTC_DAY],
      cursor: () => null,
      starts: (key) => starts.get(key) ?? [],
      isSettled: () => false,
      nowMs: now,
      graceMs: 0,
      maxPeriods: 48,
    });
    // the switch day and the two after it, not only the last closed one
    expect(due.map((p) => p.id)).toEqual(['2026-11-30@UTC', '2026-12-01@UTC', '2026-12-02@UTC']);
    // without a switch (an agreement since the beginning) only the last closed day, as before
    const old = dueAcross({
      schedules: [UTC_DAY],
      cursor: () => null,
      isSettled: () => false,
      nowMs: now,
      graceMs: 0,
      maxPeriods: 48,
    });
    expect(old.map((p) => p.id)).toEqual([previousPeriodIn(UTC_DAY, periodIn(UTC_DAY, now)).id]);
  });

  it('archives past the days before a pair switched to a schedule (they hold none of its records)', () => {
    const t = topology([{ period: 'day', effectiveFrom: iso(T0 + 2 * DAY) }]);
    const starts = scheduleStarts(t, FIXED);
    const settledFixed = (id: string) => !id.includes('@') && Date.parse(id) < T0 + 3 * DAY;
    const cuts = archivableUntil({
      schedules: [FIXED, UTC_DAY],
      isSettled: (id) => settledFixed(id) || id === '2026-12-02@UTC',
      watermark: T0,
      nowMs: T0 + 10 * DAY,
      graceMs: 0,
      afterMs: 0,
      starts: (key) => starts.get(key) ?? [],
    });
    // up to the end of the switch day (Dec 2nd), where both schedules settled
    expect(cuts.at(-1)).toBe(T0 + 3 * DAY);
    expect(scheduleKey(UTC_DAY)).toBe('day@UTC');
  });
});
