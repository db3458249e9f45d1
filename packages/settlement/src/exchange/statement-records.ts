/**
 * A statement's records, read back from the usage streams (or their archive): the records of the
 * tenants whose home operator is a party, posted in [period.start, closedAt), classified as the run
 * did and matched to their line by (kind, creditor, debtor, model, originalPeriod). Each line's
 * records come in the statement's leaf order. Version 2 statements derive them in one streaming pass
 * (records/statement-records.ts: read order, nothing held); version 1 statements sorted references
 * as strings, so their records are gathered per line and sorted the same way (held in memory: those
 * statements predate the ten-million-record periods).
 */
import type { StoredUsageRecord, TopologyIndex } from '@federa/domain';
import type { Ledger } from '@federa/ledger';
import { usageReader } from '../archive/usage-archive';
import type { SettlementConfig } from '../engine';
import { classify, lineKeyOf, statementLineKey, type SettleInput, type StatementPayload } from '../statement';
import { statementRecords } from '../records/statement-records';
import type { SettlementStore } from '../store';
import { recordRef, type LineRecord, type PriceOf } from './records';

export interface StatementRecordsDeps {
  readonly ledger: Ledger;
  readonly store: SettlementStore;
  readonly topology: TopologyIndex;
  readonly config: SettlementConfig;
}

export async function* statementRecordsFromUsage(
  deps: StatementRecordsDeps,
  payload: StatementPayload,
  onlyLine?: number,
): AsyncGenerator<LineRecord> {
  const { config, topology } = deps;
  const usage = usageReader(deps.ledger, deps.store, config.archive);
  if (payload.version === 2) {
    const ctx = { topology, periodMs: config.periodMs, schedule: config.schedule };
    for await (const { lineNo, record } of statementRecords(usage, ctx, payload, { lineNo: onlyLine }))
      yield { lineNo, record };
    return;
  }
  const startMs = Date.parse(payload.period.start);
  const period = { id: payload.period.id, startMs, endMs: Date.parse(payload.period.end) };
  const input: SettleInput = { ...config, period, topology, fx: [] };
  const lineByKey = new Map(
    payload.lines
      .filter((l) => l.records > 0 && (onlyLine === undefined || l.lineNo === onlyLine))
      .map((l) => [statementLineKey(l), l.lineNo]),
  );
  const byLine = new Map<number, StoredUsageRecord[]>();
  const parties = new Set(payload.parties);
  for (const tenant of topology.topology.tenants) {
    if (!parties.has(tenant.homeOperator)) continue;
    for await (const record of usage.between(tenant.id, startMs, Date.parse(payload.closedAt), 5000)) {
      const kind = classify(input, record, Number(record.recordId.split('-')[0]));
      if (kind !== 'usage' && kind !== 'late-usage') continue;
      // the run's own line key (a v1 statement's periods are fixed: `input` names no schedule)
      const lineNo = lineByKey.get(lineKeyOf(input, record, kind, Date.parse(record.completedAt)).key);
      if (lineNo === undefined) continue;
      const list = byLine.get(lineNo) ?? [];
      list.push(record);
      byLine.set(lineNo, list);
    }
  }
  for (const lineNo of [...byLine.keys()].sort((a, b) => a - b)) {
    const sorted = byLine
      .get(lineNo)!
      .map((record) => ({ ref: recordRef(record), record }))
      .sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
    for (const { record } of sorted) yield { lineNo, record };
  }
}

/** The serving operator's wholesale card at the record's time, as the run priced it. */
export function wholesalePriceOf(topology: TopologyIndex): PriceOf {
  return (record) => {
    const card = topology.rateAt(record.servingOperator, record.model, Date.parse(record.completedAt));
    if (!card)
      throw new Error(
        `no wholesale price for ${record.model} at ${record.servingOperator} on ${record.completedAt}`,
      );
    return card.wholesale;
  };
}
