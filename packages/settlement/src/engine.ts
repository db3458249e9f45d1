/**
 * Settles one period from the ledger's usage streams: streams every tenant's records posted in the
 * period's window through the aggregator in read order (memory holds the lines and their streaming
 * Merkle builders, not the records), builds and signs one statement per operator pair, and stores
 * them write-once (version 2 stores no record references: they are derived, see records/).
 * Re-running a period returns the statements it issued the first time.
 */
import type { JWK } from 'jose';
import type { TopologyIndex } from '@federa/domain';
import type { Ledger } from '@federa/ledger';
import { UsageArchive, usageReader, type ArchiveConfig } from './archive/usage-archive';
import { streamIdMs } from './archive/stream-ids';
import { readAhead, tenantStreamsInReadOrder, tenantsInReadOrder } from './records/read-order';
import { dueAcross } from './calendar/due-periods';
import {
  ScheduleMembership,
  fixedSchedule,
  parsePeriodId,
  scheduleKey,
  scheduleOf,
  scheduleStarts,
  schedulesInUse,
  type Schedule,
} from './calendar/schedule';
import {
  DEFAULT_SCHEDULE,
  historyConflictError,
  historyConflicts,
  sameHistories,
  scheduleHistories,
} from './calendar/schedule-history';
import { signStatement } from './signing';
import { PeriodAggregator } from './period-aggregator';
import { buildStatements, type Period, type StatementPayload } from './statement';
import type { SettlementStore } from './store';

export interface SettlementConfig {
  readonly federation: string;
  /** the length of fixed periods (ISO-instant ids), and the default schedule when none is set */
  readonly periodMs: number;
  /** the schedule of pairs without an agreement (absent: fixed `periodMs`) */
  readonly schedule?: Schedule;
  readonly graceMs: number;
  readonly settlementCurrency: string;
  /** archive settled usage to disk and trim the live streams (off when absent) */
  readonly archive?: ArchiveConfig;
}

export interface SettleResult {
  readonly periodId: string;
  readonly statements: readonly {
    readonly statementId: string;
    readonly jws: string;
    readonly payload: StatementPayload;
  }[];
  readonly counts: {
    readonly usage: number;
    readonly lateUsage: number;
    readonly home: number;
    readonly outside: number;
  };
  readonly alreadySettled: boolean;
}

export interface SettlementDeps {
  readonly ledger: Ledger;
  readonly store: SettlementStore;
  readonly topology: () => Promise<TopologyIndex>;
  readonly clearingKey: JWK;
  readonly config: SettlementConfig;
  /** called every few thousand records, e.g. to heartbeat an activity */
  readonly progress?: (records: number) => void;
}

/**
 * The period a client names: a calendar id (`2026-11@Europe/Paris`) or the ISO start of a fixed
 * period of `periodMs`; anything else is bad input (VALIDATION_FAILED, 400).
 */
export function periodById(periodId: string, periodMs: number): Period {
  return parsePeriodId(periodId, periodMs);
}

/** The schedule of pairs without an agreement. */
export const defaultSchedule = (config: SettlementConfig): Schedule =>
  config.schedule ?? fixedSchedule(config.periodMs);

/**
 * Refuse (SCHEDULE_HISTORY_CONFLICT, nothing written) when the topology's agreements changed a
 * pair's schedule history where a schedule involved is already settled; else, with `accept`, keep
 * the history as the one accepted (calendar/schedule-history.ts).
 */
export async function guardScheduleHistory(
  store: SettlementStore,
  config: SettlementConfig,
  topology: TopologyIndex,
  opts: { readonly accept: boolean },
): Promise<void> {
  const fallback = defaultSchedule(config);
  const current = scheduleHistories(topology, fallback);
  const accepted = await store.acceptedScheduleHistory();
  if (accepted) {
    const keys = new Set([scheduleKey(fallback)]);
    for (const h of [...accepted.values(), ...current.values()])
      for (const e of h) if (e.schedule !== DEFAULT_SCHEDULE) keys.add(e.schedule);
    const cursors = new Map<string, number | null>();
    for (const key of keys) cursors.set(key, await store.cursor(key));
    const conflicts = historyConflicts(accepted, current, fallback, (key) => cursors.get(key) ?? null);
    if (conflicts.length > 0) throw historyConflictError(conflicts);
  }
  if (opts.accept && !(accepted && sameHistories(accepted, current)))
    await store.acceptScheduleHistory(current);
}

/** Compute a period's statements from the usage records, without storing anything. */
export async function computeStatements(
  deps: Omit<SettlementDeps, 'clearingKey'>,
  periodId: string,
  loaded?: TopologyIndex,
) {
  const { config } = deps;
  const period = periodById(periodId, config.periodMs);
  const topology = loaded ?? (await deps.topology());
  // only the records settling on this period's schedule (their pair's schedule at their time): a
  // record is in one period of each schedule, and settles in its own schedule's
  const schedule = scheduleOf(period);
  const membership = new ScheduleMembership(topology, defaultSchedule(config), schedule);
  // exchange rates come from the registry, as of this run (the statement prints the rate it used)
  const input = { ...config, period, topology, fx: topology.topology.fxRates, schedule, membership };
  const agg = new PeriodAggregator(input);
  // archived periods read back from the archive: a re-run or recompute gives the same statement
  const usage = usageReader(deps.ledger, deps.store, config.archive);
  // read order is leaf order (statement version 2): tenants by id, then each stream in order
  const streams = tenantStreamsInReadOrder(
    usage,
    tenantsInReadOrder(topology.topology.tenants),
    period.startMs,
    period.endMs + config.graceMs,
  );
  let seen = 0;
  for await (const batch of readAhead(streams, 5000)) {
    for (const record of batch) agg.add(record, streamIdMs(record.recordId));
    seen += batch.length;
    deps.progress?.(seen);
  }
  for (const adj of await deps.store.adjustmentsFor(period.id)) agg.addAdjustment(adj);
  return {
    period,
    statements: buildStatements(input, agg.result(), agg.siteDisputes()),
    counts: agg.counts,
  };
}

export async function settlePeriod(deps: SettlementDeps, periodId: string): Promise<SettleResult> {
  periodById(periodId, deps.config.periodMs); // a bad id is VALIDATION_FAILED before anything else
  // one topology for the guard and the run: the history checked is the history settled on
  const topology = await deps.topology();
  await guardScheduleHistory(deps.store, deps.config, topology, { accept: true });
  const { period, statements: built, counts } = await computeStatements(deps, periodId, topology);
  const alreadySettled = await deps.store.isSettled(period.id);
  const statements = [];
  for (const { payload } of built) {
    const signed = await signStatement(payload, deps.clearingKey);
    const { jws } = await deps.store.issue(
      { statementId: payload.statementId, periodId: period.id, parties: payload.parties },
      signed,
      period.startMs,
    );
    statements.push({ statementId: payload.statementId, jws, payload });
  }
  await deps.store.markSettled(period.id);
  await deps.store.advanceCursor(period.endMs, scheduleKey(scheduleOf(period)));
  return { periodId: period.id, statements, counts, alreadySettled };
}

/**
 * Periods of every schedule in use (the default and each agreement's) that have ended (plus grace)
 * and are not settled yet, each from its schedule's cursor, oldest first: catch-up after downtime.
 */
export async function duePeriods(
  store: SettlementStore,
  config: SettlementConfig,
  nowMs: number,
  opts: { readonly topology?: TopologyIndex; readonly maxPeriods?: number } = {},
): Promise<string[]> {
  // an agreement change reaching back into settled periods is refused before anything is listed
  if (opts.topology) await guardScheduleHistory(store, config, opts.topology, { accept: false });
  const schedules = opts.topology
    ? schedulesInUse(opts.topology, defaultSchedule(config))
    : [defaultSchedule(config)];
  const starts = opts.topology
    ? scheduleStarts(opts.topology, defaultSchedule(config))
    : new Map<string, number[]>();
  const cursors = new Map<string, number | null>();
  for (const s of schedules) cursors.set(scheduleKey(s), await store.cursor(scheduleKey(s)));
  const settled = new Set(await store.settledPeriods());
  const due = dueAcross({
    schedules,
    cursor: (key) => cursors.get(key) ?? null,
    starts: (key) => starts.get(key) ?? [],
    isSettled: (id) => settled.has(id),
    nowMs,
    graceMs: config.graceMs,
    maxPeriods: opts.maxPeriods ?? 48,
  });
  return due.map((p) => p.id);
}

/** Archive the usage of settled periods that are old enough, and trim the live streams. */
export async function archiveSettledUsage(deps: Omit<SettlementDeps, 'clearingKey'>, nowMs: number) {
  const { config } = deps;
  if (!config.archive) return [];
  const topology = await deps.topology();
  const tenants = topology.topology.tenants.map((t) => t.id);
  const archive = new UsageArchive(deps.ledger, deps.store, config.archive);
  const schedules = schedulesInUse(topology, defaultSchedule(config));
  const starts = scheduleStarts(topology, defaultSchedule(config));
  return archive.archiveDue(tenants, nowMs, schedules, config.graceMs, (key) => starts.get(key) ?? []);
}
