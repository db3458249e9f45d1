/**
 * What the exchange writers read: a statement's usage records tagged with the line they belong to,
 * each line's records in the order its Merkle root commits to (its leaf order), and how a record was
 * priced. Any source fits: the live adapter (statement-records.ts) or a scalable generator.
 */
import type { StoredUsageRecord, TokenPrice } from '@federa/domain';
import type { StatementPayload } from '../statement';

export interface LineRecord {
  readonly lineNo: number;
  readonly record: StoredUsageRecord;
}

/** the wholesale price the record was rated with (the serving operator's card at the record's time) */
export type PriceOf = (record: StoredUsageRecord) => TokenPrice;

/** the leaf a record is in a line's Merkle tree */
export const recordRef = (r: StoredUsageRecord): string => `${r.tenantId}/${r.recordId}`;

/** Stored statements' `period` grows fields (`unit`, `timeZone`) in later versions: read them if present. */
export function periodTimeZone(payload: StatementPayload): string {
  const tz = (payload.period as { timeZone?: unknown }).timeZone;
  return typeof tz === 'string' && tz !== '' ? tz : 'UTC';
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar day (YYYY-MM-DD) of an instant in an IANA time zone. */
export function dayIn(iso: string, timeZone: string): string {
  let f = dayFormats.get(timeZone);
  if (!f) {
    // en-CA formats dates as YYYY-MM-DD
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, f);
  }
  return f.format(new Date(iso));
}

export function lineOf(payload: StatementPayload, lineNo: number) {
  const line = payload.lines.find((l) => l.lineNo === lineNo);
  if (!line) throw new Error(`statement ${payload.statementId} has no line ${lineNo}`);
  return line;
}
