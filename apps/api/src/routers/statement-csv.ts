import type { StatementPayload } from '@federa/settlement';

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

const cell = (v: string | number | null) => {
  const s = v === null ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The statement's lines as CSV (RFC 4180), one row per line, for operators' own tools. */
export function toCsv(p: StatementPayload): string {
  const rows = p.lines.map((l) =>
    [
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
    ]
      .map(cell)
      .join(','),
  );
  return [COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}
