/**
 * Settles one period from the ledger's usage streams: streams every tenant's records posted in the
 * period's window through the aggregator in read order (memory holds the lines and their streaming
 * Merkle builders, not the records), builds and signs one statement per operator pair, and stores
 * them write-once (version 2 stores no record references: they are derived, see records/).
 * Re-running a period returns the statements it issued the first time.
 */
import type { JWK } from 'jose';
import { FederaError, type TopologyIndex } from '@federa/domain';
import type { Ledger } from '@federa/ledger';
import { UsageArchive, usageReader, type ArchiveConfig } from './archive/usage-archive';
import { streamIdMs } from './archive/stream-ids';
import { readAhead, recordsInReadOrder, tenantsInReadOrder } from './records/read-order';
import { signStatement } from './signing';
import { PeriodAggregator, buildStatements, periodOf, type Period, type StatementPayload } from './statement';
import type { SettlementStore } from './store';

export interface SettlementConfig {
  readonly federation: string;
  readonly periodMs: number;
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

/** The period a client names; anything but the exact start of a period is bad input (400). */
export function periodById(periodId: string, periodMs: number): Period {
  const startMs = Date.parse(periodId);
  if (!Number.isFinite(startMs))
    throw new FederaError('VALIDATION_FAILED', `periodId '${periodId}' is not an ISO time`);
  const p = periodOf(startMs, periodMs);
  if (p.startMs !== startMs)
    throw new FederaError(
      'VALIDATION_FAILED',
      `periodId '${periodId}' is not the start of a period (periods are ${periodMs} ms, from ${p.id})`,
    );
  return p;
}

/** Compute a period's statements from the usage records, without storing anything. */
export async function computeStatements(deps: Omit<SettlementDeps, 'clearingKey'>, periodId: string) {
  const { config } = deps;
  const period = periodById(periodId, config.periodMs);
  const topology = await deps.topology();
  // exchange rates come from the registry, as of this run (the statement prints the rate it used)
  const input = { ...config, period, topology, fx: topology.topology.fxRates };
  const agg = new PeriodAggregator(input);
  // archived periods read back from the archive: a re-run or recompute gives the same statement
  const usage = usageReader(deps.ledger, deps.store, config.archive);
  // read order is leaf order (statement version 2): tenants by id, then each stream in order
  const records = recordsInReadOrder(
    usage,
    tenantsInReadOrder(topology.topology.tenants),
    period.startMs,
    period.endMs + config.graceMs,
  );
  let seen = 0;
  for await (const batch of readAhead(records, 5000)) {
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
  const { period, statements: built, counts } = await computeStatements(deps, periodId);
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
  await deps.store.advanceCursor(period.endMs);
  return { periodId: period.id, statements, counts, alreadySettled };
}

/** Periods that have ended (plus grace) and are not settled yet, oldest first: catch-up after downtime. */
export async function duePeriods(
  store: SettlementStore,
  config: SettlementConfig,
  nowMs: number,
  maxPeriods = 48,
): Promise<string[]> {
  const lastClosable = periodOf(nowMs - config.graceMs, config.periodMs).startMs; // this one is still open
  const cursor = (await store.cursor()) ?? lastClosable - config.periodMs;
  const due: string[] = [];
  for (
    let start = Math.max(cursor, lastClosable - maxPeriods * config.periodMs);
    start < lastClosable;
    start += config.periodMs
  ) {
    const id = new Date(start).toISOString();
    if (!(await store.isSettled(id))) due.push(id);
  }
  return due;
}

/** Archive the usage of settled periods that are old enough, and trim the live streams. */
export async function archiveSettledUsage(deps: Omit<SettlementDeps, 'clearingKey'>, nowMs: number) {
  const { config } = deps;
  if (!config.archive) return [];
  const tenants = (await deps.topology()).topology.tenants.map((t) => t.id);
  const archive = new UsageArchive(deps.ledger, deps.store, config.archive);
  return archive.archiveDue(tenants, nowMs, config.periodMs, config.graceMs);
}
