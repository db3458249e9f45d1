/**
 * The one exchange file whose content is money the clearing key signed: `statement.json` carries the
 * statement's compact JWS. Its detached signature only says the exchange-file key served these bytes;
 * this check says the statement inside is the clearing key's, and the document is exactly that
 * statement laid out (docs/exchange-files.md).
 */
import type { JSONWebKeySet } from 'jose';
import { FederaError } from '@federa/domain';
import { verifyStatement } from '../signing';
import type { StatementPayload } from '../statement';
import { EXCHANGE_SCHEMAS } from './schemas';
import { statementDocument, type StatementDocument } from './statement-document';

export interface StatementDocumentVerified {
  readonly payload: StatementPayload;
  /** the clearing key that signed the statement */
  readonly kid: string | undefined;
}

/** SIGNATURE_INVALID if the carried statement is not the clearing key's, VALIDATION_FAILED if the document differs from it. */
export async function verifyStatementDocument(
  bytes: Uint8Array,
  clearingJwks: JSONWebKeySet,
): Promise<StatementDocumentVerified> {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  const doc = JSON.parse(text) as Partial<StatementDocument>;
  if (doc.schema !== EXCHANGE_SCHEMAS.statement || typeof doc.statementJws !== 'string')
    throw new FederaError('VALIDATION_FAILED', `not a ${EXCHANGE_SCHEMAS.statement} document`);
  const { payload, kid } = await verifyStatement(doc.statementJws, clearingJwks);
  if (JSON.stringify(statementDocument(payload, doc.statementJws), null, 2) + '\n' !== text)
    throw new FederaError('VALIDATION_FAILED', 'the document differs from the signed statement it carries');
  return { payload, kid };
}
