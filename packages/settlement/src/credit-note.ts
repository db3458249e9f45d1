/**
 * Credit notes: how an upheld dispute settles when the pair's agreement says `resolution:
 * 'credit-note'` — a document of its own, issued now, instead of an adjustment line in a later
 * statement. Signed like statements (compact JWS, Ed25519, the clearing key) but with its own `typ`,
 * so neither document can be passed off as the other, and verifiable offline with the same JWKS.
 *
 * The API holds no clearing private key, so a resolution stores the note's payload as pending, in
 * the same compare-and-set step as the lifecycle change; the settlement worker signs pending notes on
 * its next run and stores each one write-once (store.ts `issueCreditNotes`).
 */
import { isDeepStrictEqual } from 'node:util';
import { CompactSign, compactVerify, createLocalJWKSet, importJWK, type JSONWebKeySet, type JWK } from 'jose';
import { FederaError } from '@federa/domain';
import { assertClearingKey, clearingKeysOf } from './key-purpose';
import { CLEARING_ALG } from './signing';
import type { StatementPayload } from './statement';
import type { Lifecycle } from './store';

export const CREDIT_NOTE_TYP = 'federa-credit-note+jws';

export interface CreditNotePayload {
  readonly type: 'federa.settlement.credit-note';
  readonly version: 1;
  /** `${statementId}/credit-note`: one note per disputed statement */
  readonly creditNoteId: string;
  /** the statement whose dispute it settles */
  readonly statementId: string;
  readonly federation: string;
  readonly period: string;
  readonly parties: readonly [string, string];
  /** the debtor pays the creditor `amount` (micro-units, whole minor units of `currency`) */
  readonly creditor: string;
  readonly debtor: string;
  readonly amount: number;
  readonly currency: string;
  readonly dispute: { readonly by: string; readonly at: string };
  readonly resolvedBy: string;
  readonly issuedAt: string;
}

export const creditNoteIdOf = (statementId: string) => `${statementId}/credit-note`;

/** KEY_PURPOSE_MISMATCH for an exchange-file key, as for statements. */
export async function signCreditNote(payload: CreditNotePayload, key: JWK): Promise<string> {
  assertClearingKey(key, 'credit note');
  const k = await importJWK(key, CLEARING_ALG);
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: CLEARING_ALG, kid: key.kid, typ: CREDIT_NOTE_TYP })
    .sign(k);
}

/**
 * Verify a credit note against the clearing keys of `jwks` (exchange-file keys ignored); a statement
 * (other `typ`) is refused too.
 */
export async function verifyCreditNote(jws: string, jwks: JSONWebKeySet): Promise<CreditNotePayload> {
  let verified;
  try {
    verified = await compactVerify(jws, createLocalJWKSet(clearingKeysOf(jwks)), {
      algorithms: [CLEARING_ALG],
    });
  } catch (err) {
    throw new FederaError(
      'SIGNATURE_INVALID',
      `credit note signature does not verify: ${(err as { code?: string }).code ?? (err as Error).message}`,
    );
  }
  if (verified.protectedHeader.typ !== CREDIT_NOTE_TYP)
    throw new FederaError('SIGNATURE_INVALID', `not a credit note (typ ${verified.protectedHeader.typ})`);
  return JSON.parse(new TextDecoder().decode(verified.payload)) as CreditNotePayload;
}

/** The note settling `statement`'s dispute: the debtor pays the creditor `amount` in its currency. */
export function creditNoteFor(
  statement: StatementPayload,
  adj: { readonly creditor: string; readonly debtor: string; readonly amount: number },
  resolvedBy: string,
  issuedAt: string,
): Omit<CreditNotePayload, 'dispute'> {
  return {
    type: 'federa.settlement.credit-note',
    version: 1,
    creditNoteId: creditNoteIdOf(statement.statementId),
    statementId: statement.statementId,
    federation: statement.federation,
    period: statement.period.id,
    parties: statement.parties,
    creditor: adj.creditor,
    debtor: adj.debtor,
    amount: adj.amount,
    currency: statement.settlementCurrency,
    resolvedBy,
    issuedAt,
  };
}

/**
 * The credit note a statement's recorded resolution calls for, rebuilt by the settlement worker
 * before it signs anything: the pending payload was written by the API, which holds no clearing key
 * and whose word alone must not become a signed money document. The note is derived from the
 * statement the clearing key signed (the caller verifies it) and the lifecycle's resolution and
 * dispute, with the API's checks made again (the two parties, a whole non-negative amount); a
 * pending payload that differs from it in any way is refused, and the reason given.
 */
export function creditNoteOfResolution(
  statement: StatementPayload,
  lifecycle: Lifecycle | null,
  creditNoteId: string,
): { readonly note: CreditNotePayload } | { readonly refused: string } {
  if (creditNoteId !== creditNoteIdOf(statement.statementId))
    return { refused: `not the credit note of statement '${statement.statementId}'` };
  const r = lifecycle?.resolution;
  if (lifecycle?.status !== 'resolved' || !r || r.creditNoteId !== creditNoteId)
    return { refused: 'the statement has no resolution settled by this credit note' };
  if (!lifecycle.dispute) return { refused: 'the resolution has no dispute' };
  const [a, b] = statement.parties;
  const parties = (r.creditor === a && r.debtor === b) || (r.creditor === b && r.debtor === a);
  if (!parties) return { refused: 'creditor and debtor are not the two parties of the statement' };
  if (!Number.isSafeInteger(r.amount) || r.amount < 0)
    return { refused: `the amount ${r.amount} is not a non-negative whole number of micro-units` };
  const base = creditNoteFor(statement, r, r.by, r.at);
  return { note: { ...base, dispute: { by: lifecycle.dispute.by, at: lifecycle.dispute.at } } };
}

/**
 * the same credit note: every field equal, whatever order a writer put the fields in (a pending note
 * written by another version of the API may order them otherwise, and is still the same note)
 */
export const sameCreditNote = (x: CreditNotePayload, y: CreditNotePayload): boolean =>
  isDeepStrictEqual(x, y);
