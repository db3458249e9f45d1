/**
 * The clearing key and the exchange-file key never stand in for each other: each signer refuses the
 * other kind of key, statement and credit-note verifiers ignore exchange-file keys, and the file
 * verifier ignores everything else. Forgeries below are made with jose directly, the way a holder of
 * the wrong key would make them, since Federa's own signers refuse to.
 */
import { CompactSign, importJWK, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { CREDIT_NOTE_TYP, signCreditNote, verifyCreditNote, type CreditNotePayload } from './credit-note';
import { signDetached, verifyDetached } from './exchange/detached-jws';
import { generateExchangeFileKey } from './exchange/file-key';
import { EXCHANGE_SCHEMAS, EXCHANGE_TYP } from './exchange/schemas';
import {
  EXCHANGE_FILES_MARK,
  EXCHANGE_KEY_KID,
  KEY_PURPOSE_MEMBER,
  clearingKeysOf,
  exchangeFileKeysOf,
  isClearingKey,
  isExchangeFileKey,
  sameKeyIn,
} from './key-purpose';
import { STATEMENT_TYP, generateClearingKey, signStatement, verifyStatement } from './signing';
import { emptyStatement } from './testing';

const statement = emptyStatement();

const creditNote: CreditNotePayload = {
  type: 'federa.settlement.credit-note',
  version: 1,
  creditNoteId: `${statement.statementId}/credit-note`,
  statementId: statement.statementId,
  federation: 'eu',
  period: statement.period.id,
  parties: statement.parties,
  creditor: 'lumiere',
  debtor: 'rhein',
  amount: 500,
  currency: 'EUR',
  dispute: { by: 'rhein', at: '2030-01-03T00:00:00.000Z' },
  resolvedBy: 'root@federation',
  issuedAt: '2030-01-04T00:00:00.000Z',
};

const fileBytes = new TextEncoder().encode('{"schema":"federa.exchange.usage-report.v1","rows":[]}\n');
const fileHeader = {
  typ: EXCHANGE_TYP['usage-report'],
  schema: EXCHANGE_SCHEMAS['usage-report'],
  file: 'usage-report.json',
};

/** a compact JWS made with any key, bypassing Federa's signers (what a stolen key allows) */
async function forgeCompact(payload: Uint8Array, key: JWK, header: Record<string, unknown>): Promise<string> {
  return new CompactSign(payload)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, ...header })
    .sign(await importJWK(key, 'EdDSA'));
}

async function forgeDetached(key: JWK): Promise<string> {
  const [h, , s] = (
    await forgeCompact(fileBytes, key, {
      typ: fileHeader.typ,
      'federa-schema': fileHeader.schema,
      'federa-file': fileHeader.file,
    })
  ).split('.');
  return `${h}..${s}`;
}

const encode = (doc: unknown) => new TextEncoder().encode(JSON.stringify(doc));
/** the same public key, relabelled as an exchange-file key */
const markedAsFileKey = (jwk: JWK): JWK => ({ ...jwk, ...EXCHANGE_FILES_MARK });

describe('key purpose', () => {
  it('marks both halves of an exchange-file key, and leaves the clearing key unmarked', async () => {
    const file = await generateExchangeFileKey();
    expect(file.publicJwk).toMatchObject({ kid: EXCHANGE_KEY_KID, 'federa-purpose': 'exchange-files' });
    expect(file.privateJwk).toMatchObject({ kid: EXCHANGE_KEY_KID, 'federa-purpose': 'exchange-files' });
    expect([isExchangeFileKey(file.publicJwk), isClearingKey(file.publicJwk)]).toEqual([true, false]);
    const clearing = await generateClearingKey('federa-clearing-1');
    expect(Object.keys(clearing.publicJwk)).not.toContain(KEY_PURPOSE_MEMBER);
    expect([isExchangeFileKey(clearing.publicJwk), isClearingKey(clearing.publicJwk)]).toEqual([false, true]);
    // a purpose other than exchange files makes a key neither: it never counts as a clearing key
    const other = { ...clearing.publicJwk, [KEY_PURPOSE_MEMBER]: 'something-else' };
    expect([isExchangeFileKey(other), isClearingKey(other)]).toEqual([false, false]);
    const both = { keys: [clearing.publicJwk, file.publicJwk, other] };
    expect(clearingKeysOf(both).keys).toEqual([clearing.publicJwk]);
    expect(exchangeFileKeysOf(both).keys).toEqual([file.publicJwk]);
  });

  it('refuses to sign a statement or a credit note with the exchange-file key', async () => {
    const file = await generateExchangeFileKey();
    await expect(signStatement(statement, file.privateJwk)).rejects.toMatchObject({
      code: 'KEY_PURPOSE_MISMATCH',
    });
    await expect(signCreditNote(creditNote, file.privateJwk)).rejects.toMatchObject({
      code: 'KEY_PURPOSE_MISMATCH',
    });
  });

  it('refuses to sign an exchange file with the clearing key', async () => {
    const clearing = await generateClearingKey('federa-clearing-1');
    await expect(signDetached(fileBytes, fileHeader, clearing.privateJwk)).rejects.toMatchObject({
      code: 'KEY_PURPOSE_MISMATCH',
    });
  });

  it('verifies statements and credit notes with clearing keys only, whatever else the JWKS holds', async () => {
    const clearing = await generateClearingKey('federa-clearing-1');
    const file = await generateExchangeFileKey();
    const jwks = { keys: [clearing.publicJwk, file.publicJwk] };
    // the genuine ones verify against the mixed set
    const genuine = await signStatement(statement, clearing.privateJwk);
    await expect(verifyStatement(genuine, jwks)).resolves.toMatchObject({ kid: 'federa-clearing-1' });
    await expect(
      verifyCreditNote(await signCreditNote(creditNote, clearing.privateJwk), jwks),
    ).resolves.toEqual(creditNote);
    // signed with the exchange-file key (a compromised API): the key is in the set, and ignored
    const minted = await forgeCompact(encode(statement), file.privateJwk, { typ: STATEMENT_TYP });
    await expect(verifyStatement(minted, jwks)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    const mintedNote = await forgeCompact(encode(creditNote), file.privateJwk, { typ: CREDIT_NOTE_TYP });
    await expect(verifyCreditNote(mintedNote, jwks)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    // the clearing key itself, published marked as a file key, no longer verifies statements
    await expect(verifyStatement(genuine, { keys: [markedAsFileKey(clearing.publicJwk)] })).rejects.toThrow(
      /holds no clearing key/,
    );
  });

  it('verifies exchange files with exchange-file keys only, whatever else the JWKS holds', async () => {
    const clearing = await generateClearingKey('federa-clearing-1');
    const file = await generateExchangeFileKey();
    const jwks = { keys: [clearing.publicJwk, file.publicJwk] };
    const genuine = await signDetached(fileBytes, fileHeader, file.privateJwk);
    await expect(verifyDetached(fileBytes, genuine, jwks)).resolves.toMatchObject({ kid: EXCHANGE_KEY_KID });
    // a file signature made with the clearing key: the key is in the set, and ignored
    const byClearingKey = await forgeDetached(clearing.privateJwk);
    await expect(verifyDetached(fileBytes, byClearingKey, jwks)).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
    // the exchange-file key published unmarked is not taken for one
    const unmarked = { ...file.publicJwk };
    delete (unmarked as Record<string, unknown>)[KEY_PURPOSE_MEMBER];
    await expect(verifyDetached(fileBytes, genuine, { keys: [unmarked] })).rejects.toThrow(
      /holds no exchange-file key/,
    );
  });

  it('finds a key in a JWKS by kid, or by its public key under another kid or with other members', async () => {
    const clearing = await generateClearingKey('federa-clearing-1');
    const file = await generateExchangeFileKey();
    const jwks = { keys: [clearing.publicJwk] };
    expect(await sameKeyIn({ ...file.privateJwk, kid: 'federa-clearing-1' }, jwks)).toEqual({
      key: clearing.publicJwk,
      by: 'kid',
    });
    // the private JWK, relabelled and marked: same public key
    expect(await sameKeyIn({ ...clearing.privateJwk, ...EXCHANGE_FILES_MARK, kid: 'x' }, jwks)).toEqual({
      key: clearing.publicJwk,
      by: 'public key',
    });
    expect(await sameKeyIn(file.privateJwk, jwks)).toBeUndefined();
  });
});
