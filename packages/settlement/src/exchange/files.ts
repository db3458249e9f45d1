/**
 * A statement's exchange files by name: which exist (the manifest), the bytes of each, and its
 * detached signature. Bytes are a pure function of the statement, its records and the part size, so
 * the same statement always gives the same files and the same signatures (Ed25519 is deterministic).
 */
import type { JWK } from 'jose';
import { FederaError } from '@federa/domain';
import type { StatementPayload } from '../statement';
import { signDetached } from './detached-jws';
import { detailedRecordParts, detailedRecordsCsv, partsOf } from './detailed-records';
import type { LineRecord, PriceOf } from './records';
import {
  EXCHANGE_SCHEMAS,
  EXCHANGE_TYP,
  exchangeFileName,
  parseExchangeFileName,
  type ExchangeKind,
} from './schemas';
import { statementCsv, statementDocument } from './statement-document';
import { buildUsageReport, usageReportCsv } from './usage-report';

export interface ExchangeSource {
  readonly payload: StatementPayload;
  /** the statement's compact JWS as stored */
  readonly jws: string;
  /** a fresh pass over the statement's records (lines in order, each in leaf order) */
  records(lineNo?: number): AsyncIterable<LineRecord>;
  readonly priceOf: PriceOf;
}

export interface ExchangeFile {
  readonly name: string;
  readonly kind: ExchangeKind;
  readonly schema: string;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

export interface ManifestEntry {
  readonly name: string;
  readonly kind: ExchangeKind;
  readonly schema: string;
  /** detailed records are built on request only */
  readonly onRequest: boolean;
}

/** Every file a statement has, detailed records last (lines with records only). */
export function exchangeManifest(payload: StatementPayload, partRecords: number): ManifestEntry[] {
  const entry = (kind: ExchangeKind, name: string): ManifestEntry => ({
    name,
    kind,
    schema: EXCHANGE_SCHEMAS[kind],
    onRequest: kind === 'detailed-records',
  });
  const out: ManifestEntry[] = [];
  for (const kind of ['statement', 'usage-report'] as const)
    for (const format of ['json', 'csv'] as const) out.push(entry(kind, exchangeFileName({ kind, format })));
  for (const line of payload.lines) {
    if (line.records === 0) continue;
    for (let part = 1; part <= partsOf(line.records, partRecords); part++)
      for (const format of ['json', 'csv'] as const)
        out.push(
          entry(
            'detailed-records',
            exchangeFileName({ kind: 'detailed-records', format, lineNo: line.lineNo, part }),
          ),
        );
  }
  return out;
}

const encode = (text: string) => new TextEncoder().encode(text);
const json = (doc: unknown) => encode(JSON.stringify(doc, null, 2) + '\n');

/** The file of that name; NOT_FOUND for a name the statement has no file under. */
export async function buildExchangeFile(
  src: ExchangeSource,
  name: string,
  partRecords: number,
): Promise<ExchangeFile> {
  const parsed = parseExchangeFileName(name);
  if (!parsed || !exchangeManifest(src.payload, partRecords).some((e) => e.name === name))
    throw new FederaError('NOT_FOUND', `statement ${src.payload.statementId} has no file '${name}'`);
  const { kind, format } = parsed;
  const file = (text: string): ExchangeFile => ({
    name,
    kind,
    schema: EXCHANGE_SCHEMAS[kind],
    contentType: format === 'json' ? 'application/json' : 'text/csv; charset=utf-8; header=present',
    bytes: encode(text),
  });
  if (kind === 'statement') {
    const doc = statementDocument(src.payload, src.jws);
    return format === 'json' ? { ...file(''), bytes: json(doc) } : file(statementCsv(doc));
  }
  if (kind === 'usage-report') {
    const report = await buildUsageReport(src.payload, src.records(), src.priceOf);
    return format === 'json' ? { ...file(''), bytes: json(report) } : file(usageReportCsv(report));
  }
  const lineNo = parsed.lineNo!;
  for await (const part of detailedRecordParts(
    src.payload,
    lineNo,
    src.records(lineNo),
    src.priceOf,
    partRecords,
    parsed.part,
  ))
    return format === 'json' ? { ...file(''), bytes: json(part) } : file(detailedRecordsCsv(part));
  throw new FederaError('NOT_FOUND', `statement ${src.payload.statementId} has no file '${name}'`);
}

/** `key` is the exchange-file key (file-key.ts); the clearing key is refused (KEY_PURPOSE_MISMATCH). */
export function signExchangeFile(file: ExchangeFile, key: JWK): Promise<string> {
  return signDetached(
    file.bytes,
    { typ: EXCHANGE_TYP[file.kind], schema: file.schema, file: file.name },
    key,
  );
}
