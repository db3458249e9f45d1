/**
 * The exchange files' kinds, versioned schema ids, JWS `typ`s, file names and CSV columns: the one
 * place a partner-facing layout is named (documented field by field in docs/exchange-files.md).
 * A changed layout is a new version (v2), never an edit of v1: partners' loaders pin the version.
 */
export type ExchangeKind = 'usage-report' | 'statement' | 'detailed-records';

export const EXCHANGE_SCHEMAS = {
  'usage-report': 'federa.exchange.usage-report.v1',
  statement: 'federa.exchange.statement.v1',
  'detailed-records': 'federa.exchange.detailed-records.v1',
} as const satisfies Record<ExchangeKind, string>;

export type ExchangeSchema = (typeof EXCHANGE_SCHEMAS)[ExchangeKind];

/** the JWS `typ` of each kind's detached signature: a signature for one kind never passes for another */
export const EXCHANGE_TYP: Record<ExchangeKind, string> = {
  'usage-report': 'federa-exchange-usage-report+jws',
  statement: 'federa-exchange-statement+jws',
  'detailed-records': 'federa-exchange-detailed-records+jws',
};

export type ExchangeFormat = 'json' | 'csv';

export const USAGE_REPORT_COLUMNS = [
  'statementId',
  'lineNo',
  'kind',
  'creditor',
  'debtor',
  'model',
  'day',
  'timeZone',
  'records',
  'inputTokens',
  'outputTokens',
  'amount',
  'currency',
] as const;

export const STATEMENT_COLUMNS = [
  'statementId',
  'periodId',
  'periodStart',
  'periodEnd',
  'closedAt',
  'settlementCurrency',
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
  'merkleRoot',
] as const;

export const DETAILED_RECORD_COLUMNS = [
  'statementId',
  'lineNo',
  'index',
  'recordRef',
  'tenantId',
  'requestId',
  'siteId',
  'model',
  'servingOperator',
  'homeOperator',
  'startedAt',
  'completedAt',
  'inputTokens',
  'outputTokens',
  'inputPer1M',
  'outputPer1M',
  'amount',
  'currency',
] as const;

export const COLUMNS_OF: Record<ExchangeKind, readonly string[]> = {
  'usage-report': USAGE_REPORT_COLUMNS,
  statement: STATEMENT_COLUMNS,
  'detailed-records': DETAILED_RECORD_COLUMNS,
};

/** records per detailed-records part unless asked otherwise: no file grows without bound */
export const DEFAULT_PART_RECORDS = 50_000;
export const MAX_PART_RECORDS = 1_000_000;

export interface ExchangeFileName {
  readonly kind: ExchangeKind;
  readonly format: ExchangeFormat;
  /** detailed records only */
  readonly lineNo?: number;
  readonly part?: number;
}

/** `usage-report.json`, `statement.csv`, `detailed-records.line-3.part-2.json` … */
export function exchangeFileName(f: ExchangeFileName): string {
  if (f.kind === 'detailed-records') return `detailed-records.line-${f.lineNo}.part-${f.part}.${f.format}`;
  return `${f.kind}.${f.format}`;
}

const NAME =
  /^(usage-report|statement)\.(json|csv)$|^detailed-records\.line-([1-9]\d{0,8})\.part-([1-9]\d{0,8})\.(json|csv)$/;

/** The parts of a file name, or null for a name that is no exchange file. */
export function parseExchangeFileName(name: string): ExchangeFileName | null {
  const m = NAME.exec(name);
  if (!m) return null;
  if (m[1]) return { kind: m[1] as ExchangeKind, format: m[2] as ExchangeFormat };
  return {
    kind: 'detailed-records',
    format: m[5] as ExchangeFormat,
    lineNo: Number(m[3]),
    part: Number(m[4]),
  };
}
