import { csvDocument, type StatementPayload } from '@federa/settlement';

const COLUMNS = [
  'lineNo',
  'kind',
  'creditor',
  'debtor',
  'model',
  'originalPeriod',
  'reference',
  'records',
  'inputTokens',
  'outputTokens',
  'amount',
  'currency',
  'fxRate',
  'fxEffectiveFrom',
  'settledAmount',
  'settlementCurrency',
  'merkleRoot',
] as const;

/** The statement's lines as CSV for operators' own tools: the exchange files' writer (RFC 4180, formula cells defused). */
export function toCsv(p: StatementPayload): string {
  return csvDocument(
    COLUMNS,
    p.lines.map((l) => [
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
      p.settlementCurrency,
      l.merkleRoot,
    ]),
  );
}
