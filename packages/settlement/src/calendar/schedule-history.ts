/**
 * The schedule history settlement accepted, and the guard against rewriting it. Agreements are
 * effective-dated, so each record settles on the schedule of the agreement in force at its time. A
 * change of that history is safe only where nothing is settled yet: if an agreement change moved
 * records of an instant that a schedule involved has settled past (its cursor), those records would
 * be counted twice (the new schedule settles them again) or lost (the new schedule is already past
 * them). So each run compares the pairs' histories in the current topology with the ones the last
 * run accepted (kept in Redis) and refuses — SCHEDULE_HISTORY_CONFLICT, writing nothing — when the
 * first instant where a pair's history changed is before the settled cursor of a schedule the pair
 * is on from that instant (in the accepted history or the new one).
 *
 * Histories name the federation's default symbolically (`default`), so changing the default
 * schedule's configuration is not a history change here (it never was one the cursors could follow);
 * they are compared with `default` resolved to the configured default.
 */
import { FederaError, type TopologyIndex } from '@federa/domain';
import { pairSegments, scheduleKey, type Schedule } from './schedule';

/** The symbolic name of the federation's default schedule in a history. */
export const DEFAULT_SCHEDULE = 'default';

/** From `from` (epoch ms; null: since the beginning) a pair settles on `schedule` (a key, or `default`). */
export interface HistoryEntry {
  readonly from: number | null;
  readonly schedule: string;
}

/** pair key (`a~b`) → its history, oldest first; a pair absent settles on the default throughout. */
export type ScheduleHistories = ReadonlyMap<string, readonly HistoryEntry[]>;

const ALWAYS_DEFAULT: readonly HistoryEntry[] = [{ from: null, schedule: DEFAULT_SCHEDULE }];

/** Every pair's schedule history in a topology (pairs that never leave the default are left out). */
export function scheduleHistories(topology: TopologyIndex, fallback: Schedule): Map<string, HistoryEntry[]> {
  const out = new Map<string, HistoryEntry[]>();
  for (const [pair, agreements] of topology.agreementPairs) {
    const [a, b] = agreements[0]!.parties;
    const entries: HistoryEntry[] = [];
    for (const seg of pairSegments(topology, a, b, fallback)) {
      const schedule = seg.agreement?.period ? scheduleKey(seg.schedule) : DEFAULT_SCHEDULE;
      if (entries.at(-1)?.schedule === schedule) continue;
      entries.push({ from: seg.fromMs === -Infinity ? null : seg.fromMs, schedule });
    }
    if (entries.length === 1 && entries[0]!.schedule === DEFAULT_SCHEDULE) continue;
    out.set(pair, entries);
  }
  return out;
}

export interface HistoryConflict {
  readonly pair: string;
  /** the first instant the pair's schedule changed (null: since the beginning) */
  readonly changedFrom: number | null;
  /** a schedule the pair is on from then on, settled past it */
  readonly schedule: string;
  readonly settledUntil: number;
}

const startOf = (e: HistoryEntry) => e.from ?? -Infinity;

function entryAt(history: readonly HistoryEntry[], ms: number): HistoryEntry {
  let found = history[0]!;
  for (const e of history) if (startOf(e) <= ms) found = e;
  return found;
}

/** The first instant two histories put a record on different schedules, or null: they agree. */
export function firstDifference(
  a: readonly HistoryEntry[],
  b: readonly HistoryEntry[],
  resolve: (schedule: string) => string,
): number | null {
  const boundaries = [...new Set([-Infinity, ...a.map(startOf), ...b.map(startOf)])].sort((x, y) => x - y);
  for (const t of boundaries)
    if (resolve(entryAt(a, t).schedule) !== resolve(entryAt(b, t).schedule)) return t;
  return null;
}

/** The schedules (resolved keys) a history has a record on at some instant at or after `fromMs`. */
function schedulesFrom(history: readonly HistoryEntry[], fromMs: number, resolve: (s: string) => string) {
  return history
    .filter((_, i) => i === history.length - 1 || startOf(history[i + 1]!) > fromMs)
    .map((e) => resolve(e.schedule));
}

/**
 * The pairs whose history changed where a schedule involved is already settled. `cursor` gives a
 * schedule's settled cursor (the end of its last settled period; null: never settled).
 */
export function historyConflicts(
  accepted: ScheduleHistories,
  current: ScheduleHistories,
  fallback: Schedule,
  cursor: (scheduleKey: string) => number | null,
): HistoryConflict[] {
  const resolve = (s: string) => (s === DEFAULT_SCHEDULE ? scheduleKey(fallback) : s);
  const conflicts: HistoryConflict[] = [];
  for (const pair of [...new Set([...accepted.keys(), ...current.keys()])].sort()) {
    const before = accepted.get(pair) ?? ALWAYS_DEFAULT;
    const after = current.get(pair) ?? ALWAYS_DEFAULT;
    const changed = firstDifference(before, after, resolve);
    if (changed === null) continue;
    const involved = new Set([
      ...schedulesFrom(before, changed, resolve),
      ...schedulesFrom(after, changed, resolve),
    ]);
    for (const schedule of [...involved].sort()) {
      const settledUntil = cursor(schedule);
      if (settledUntil !== null && settledUntil > changed)
        conflicts.push({
          pair,
          changedFrom: changed === -Infinity ? null : changed,
          schedule,
          settledUntil,
        });
    }
  }
  return conflicts;
}

/** Whether two histories are the same (so nothing needs writing). */
export function sameHistories(a: ScheduleHistories, b: ScheduleHistories): boolean {
  if (a.size !== b.size) return false;
  for (const [pair, entries] of a) if (JSON.stringify(entries) !== JSON.stringify(b.get(pair))) return false;
  return true;
}

const iso = (ms: number | null) => (ms === null ? 'the beginning' : new Date(ms).toISOString());

/** The refusal for conflicts (they are non-empty). */
export function historyConflictError(conflicts: readonly HistoryConflict[]): FederaError {
  const first = conflicts[0]!;
  return new FederaError(
    'SCHEDULE_HISTORY_CONFLICT',
    `the agreements of ${first.pair} change its settlement schedule from ${iso(first.changedFrom)}, ` +
      `but ${first.schedule} is settled up to ${iso(first.settledUntil)}: records of settled periods would ` +
      `be counted twice or lost. Give the change an effectiveFrom at or after ${iso(first.settledUntil)} ` +
      `and keep the earlier agreements as they were` +
      (conflicts.length > 1 ? ` (${conflicts.length - 1} more conflict(s))` : ''),
    {
      conflicts: conflicts.map((c) => ({
        pair: c.pair,
        changedFrom: c.changedFrom === null ? null : iso(c.changedFrom),
        schedule: c.schedule,
        settledUntil: iso(c.settledUntil),
      })),
    },
  );
}
