/**
 * The statement as an exchange document (TD.201's billing statement report, in spirit): the signed
 * payload laid out as header, lines, owed and net, with the statement's own JWS inside so a loader
 * can check that the document says exactly what the clearing house signed.
 */
import type { StatementPayload } from '../statement';
import { csvDocument } from './csv';
import { EXCHANGE_SCHEMAS, STATEMENT_COLUMNS } from './schemas';

export interface StatementDocument {
  readonly schema: typeof EXCHANGE_SCHEMAS.statement;
  readonly header: {
    readonly statementId: string;
    /** the signed payload's own version (1, 2 …) */
    readonly statementVersion: number;
    readonly federation: string;
    readonly period: StatementPayload['period'];
    readonly closedAt: string;
    readonly settlementCurrency: string;
    readonly parties: StatementPayload['parties'];
  };
  readonly lines: StatementPayload['lines'];
  readonly owed: StatementPayload['owed'];
  readonly net: StatementPayload['net'];
  readonly siteUsageDisputes?: StatementPayload['siteUsageDisputes'];
  /** the statement as signed (compact JWS); its payload is the header, lines, owed and net above */
  readonly statementJws: string;
}

export function statementDocument(payload: StatementPayload, jws: string): StatementDocument {
  return {
    schema: EXCHANGE_SCHEMAS.statement,
    header: {
      statementId: payload.statementId,
      statementVersion: payload.version,
      federation: payload.federation,
      period: payload.period,
      closedAt: payload.closedAt,
      settlementCurrency: payload.settlementCurrency,
      parties: payload.parties,
    },
    lines: payload.lines,
    owed: payload.owed,
    net: payload.net,
    ...(payload.siteUsageDisputes ? { siteUsageDisputes: payload.siteUsageDisputes } : {}),
    statementJws: jws,
  };
}

/** One row per line, the header repeated on each so a loader needs no second table. */
export function statementCsv(doc: StatementDocument): string {
  const h = doc.header;
  return csvDocument(
    STATEMENT_COLUMNS,
    doc.lines.map((l) => [
      h.statementId,
      h.period.id,
      h.period.start,
      h.period.end,
      h.closedAt,
      h.settlementCurrency,
      l.lineNo,
      l.kind,
      l.creditor,
      l.debtor,
      l.model,
      l.originalPeriod,
      l.reference,
      l.records,
      l.inputTokens,
      l.outputTokens,
      l.amount,
      l.currency,
      l.fx.rate,
      l.fx.effectiveFrom,
      l.settledAmount,
      l.merkleRoot,
    ]),
  );
}
