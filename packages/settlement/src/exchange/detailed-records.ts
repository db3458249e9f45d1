/**
 * Detailed records (TD.201's detailed data record, in spirit): one row per usage record of a line, in
 * the line's leaf order, split into parts of at most `partRecords` rows so no file is unbounded. Each
 * row carries the price it was rated with, so a partner reprices every record and rebuilds the line's
 * Merkle root from the parts alone.
 */
import { priceUsage } from '@federa/domain';
import type { StatementPayload } from '../statement';
import { csvDocument } from './csv';
import { lineOf, recordRef, type LineRecord, type PriceOf } from './records';
import { DETAILED_RECORD_COLUMNS, EXCHANGE_SCHEMAS } from './schemas';

export interface DetailedRecordRow {
  /** 0-based position in the line's leaf order */
  readonly index: number;
  readonly recordRef: string;
  readonly tenantId: string;
  readonly requestId: string;
  readonly siteId: string;
  readonly model: string;
  readonly servingOperator: string;
  readonly homeOperator: string;
  readonly startedAt: string;
  readonly completedAt: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly inputPer1M: number;
  readonly outputPer1M: number;
  readonly amount: number;
  readonly currency: string;
}

export interface DetailedRecordsPart {
  readonly schema: (typeof EXCHANGE_SCHEMAS)['detailed-records'];
  readonly statementId: string;
  readonly lineNo: number;
  /** 1-based */
  readonly part: number;
  readonly parts: number;
  readonly partRecords: number;
  readonly merkleRoot: string;
  readonly rows: readonly DetailedRecordRow[];
}

export const partsOf = (records: number, partRecords: number): number =>
  Math.max(1, Math.ceil(records / partRecords));

/** The parts of one line, in order; `only` yields just that part (the others are skipped, unbuilt). */
export async function* detailedRecordParts(
  payload: StatementPayload,
  lineNo: number,
  records: AsyncIterable<LineRecord>,
  priceOf: PriceOf,
  partRecords: number,
  only?: number,
): AsyncGenerator<DetailedRecordsPart> {
  const line = lineOf(payload, lineNo);
  const parts = partsOf(line.records, partRecords);
  const make = (part: number, rows: DetailedRecordRow[]): DetailedRecordsPart => ({
    schema: EXCHANGE_SCHEMAS['detailed-records'],
    statementId: payload.statementId,
    lineNo,
    part,
    parts,
    partRecords,
    merkleRoot: line.merkleRoot,
    rows,
  });
  let index = 0;
  let rows: DetailedRecordRow[] = [];
  for await (const { lineNo: n, record } of records) {
    if (n !== lineNo) continue;
    const part = Math.floor(index / partRecords) + 1;
    if (only === undefined || only === part) {
      const price = priceOf(record);
      rows.push({
        index,
        recordRef: recordRef(record),
        tenantId: record.tenantId,
        requestId: record.requestId,
        siteId: record.siteId,
        model: record.model,
        servingOperator: record.servingOperator,
        homeOperator: record.homeOperator,
        startedAt: record.startedAt,
        completedAt: record.completedAt,
        inputTokens: record.inputTokens,
        outputTokens: record.outputTokens,
        inputPer1M: price.inputPer1M,
        outputPer1M: price.outputPer1M,
        amount: priceUsage(price, record.inputTokens, record.outputTokens),
        currency: line.currency,
      });
    }
    index++;
    if (index % partRecords === 0 && rows.length > 0) {
      yield make(part, rows);
      rows = [];
      if (only === part) return;
    }
  }
  if (rows.length > 0 || (index === 0 && (only ?? 1) === 1)) yield make(partsOf(index, partRecords), rows);
}

export function detailedRecordsCsv(p: DetailedRecordsPart): string {
  return csvDocument(
    DETAILED_RECORD_COLUMNS,
    p.rows.map((r) => [
      p.statementId,
      p.lineNo,
      r.index,
      r.recordRef,
      r.tenantId,
      r.requestId,
      r.siteId,
      r.model,
      r.servingOperator,
      r.homeOperator,
      r.startedAt,
      r.completedAt,
      r.inputTokens,
      r.outputTokens,
      r.inputPer1M,
      r.outputPer1M,
      r.amount,
      r.currency,
    ]),
  );
}
