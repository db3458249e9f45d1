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

/** a text cell starting with one of these is run as a formula by spreadsheets (CSV injection) */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One RFC 4180 field. Text that a spreadsheet would read as a formula gets a leading `'` (numbers are
 * ours and stay numbers); a field with a quote, comma, CR or LF is quoted.
 */
const cell = (v: string | number | null) => {
  const raw = v === null ? '' : String(v);
  const s = typeof v === 'string' && FORMULA_START.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
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
