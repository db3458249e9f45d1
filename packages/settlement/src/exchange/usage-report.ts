/**
 * The usage report (TD.201's usage data report, in spirit): per statement line and calendar day in
 * the statement's time zone, the records, tokens and amount (line currency). Summed over days, each
 * line's figures are the statement's, which is what `recompute` checks. Memory holds one row per
 * (line, day), never the records.
 */
import { priceUsage } from '@federa/domain';
import type { LineKind, StatementPayload } from '../statement';
import { csvDocument } from './csv';
import { dayIn, lineOf, periodTimeZone, type LineRecord, type PriceOf } from './records';
import { EXCHANGE_SCHEMAS, USAGE_REPORT_COLUMNS } from './schemas';

export interface UsageReportRow {
  readonly lineNo: number;
  readonly kind: LineKind;
  readonly creditor: string;
  readonly debtor: string;
  readonly model: string;
  readonly day: string;
  readonly records: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly amount: number;
  readonly currency: string;
}

export interface UsageReport {
  readonly schema: (typeof EXCHANGE_SCHEMAS)['usage-report'];
  readonly statementId: string;
  readonly federation: string;
  readonly period: StatementPayload['period'];
  readonly timeZone: string;
  readonly rows: readonly UsageReportRow[];
}

export async function buildUsageReport(
  payload: StatementPayload,
  records: AsyncIterable<LineRecord>,
  priceOf: PriceOf,
): Promise<UsageReport> {
  const timeZone = periodTimeZone(payload);
  const rows = new Map<string, UsageReportRow>();
  for await (const { lineNo, record } of records) {
    const line = lineOf(payload, lineNo);
    const day = dayIn(record.completedAt, timeZone);
    const key = `${String(lineNo).padStart(10, '0')}|${day}`;
    const r = rows.get(key) ?? {
      lineNo,
      kind: line.kind,
      creditor: line.creditor,
      debtor: line.debtor,
      model: line.model,
      day,
      records: 0,
      inputTokens: 0,
      outputTokens: 0,
      amount: 0,
      currency: line.currency,
    };
    rows.set(key, {
      ...r,
      records: r.records + 1,
      inputTokens: r.inputTokens + record.inputTokens,
      outputTokens: r.outputTokens + record.outputTokens,
      amount: r.amount + priceUsage(priceOf(record), record.inputTokens, record.outputTokens),
    });
  }
  return {
    schema: EXCHANGE_SCHEMAS['usage-report'],
    statementId: payload.statementId,
    federation: payload.federation,
    period: payload.period,
    timeZone,
    rows: [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, r]) => r),
  };
}

export function usageReportCsv(report: UsageReport): string {
  return csvDocument(
    USAGE_REPORT_COLUMNS,
    report.rows.map((r) => [
      report.statementId,
      r.lineNo,
      r.kind,
      r.creditor,
      r.debtor,
      r.model,
      r.day,
      report.timeZone,
      r.records,
      r.inputTokens,
      r.outputTokens,
      r.amount,
      r.currency,
    ]),
  );
}
