/**
 * Offline check of one exchange file: its detached signature against the exchange-file JWKS, the `typ`
 * and schema the signature names (a version this code knows), and that the bytes declare the same
 * schema (a JSON `schema` field, or a CSV header row with exactly the documented columns).
 */
import type { JSONWebKeySet } from 'jose';
import { FederaError } from '@federa/domain';
import { parseCsv } from './csv';
import { verifyDetached } from './detached-jws';
import {
  COLUMNS_OF,
  EXCHANGE_SCHEMAS,
  EXCHANGE_TYP,
  parseExchangeFileName,
  type ExchangeKind,
} from './schemas';

export interface FileVerified {
  readonly file: string;
  readonly kind: ExchangeKind;
  readonly schema: string;
  readonly kid: string | undefined;
}

export async function verifyExchangeFile(
  bytes: Uint8Array,
  jws: string,
  jwks: JSONWebKeySet,
): Promise<FileVerified> {
  const signed = await verifyDetached(bytes, jws, jwks);
  const parsed = parseExchangeFileName(signed.file);
  if (!parsed) throw new FederaError('VALIDATION_FAILED', `'${signed.file}' is no exchange file name`);
  const { kind, format } = parsed;
  if (signed.typ !== EXCHANGE_TYP[kind])
    throw new FederaError('SIGNATURE_INVALID', `typ '${signed.typ}' is not that of a ${kind} file`);
  if (signed.schema !== EXCHANGE_SCHEMAS[kind])
    throw new FederaError(
      'VALIDATION_FAILED',
      `schema '${signed.schema}' is not supported (this version reads ${EXCHANGE_SCHEMAS[kind]})`,
    );
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  if (format === 'json') {
    const declared = (JSON.parse(text) as { schema?: unknown }).schema;
    if (declared !== signed.schema)
      throw new FederaError('VALIDATION_FAILED', `the file declares schema '${String(declared)}'`);
  } else {
    const header = parseCsv(text)[0] ?? [];
    if (header.join(',') !== COLUMNS_OF[kind].join(','))
      throw new FederaError('VALIDATION_FAILED', `the CSV columns are not those of ${signed.schema}`);
  }
  return { file: signed.file, kind, schema: signed.schema, kid: signed.kid };
}
