/**
 * Statements are signed as compact JWS with the federation's clearing key (Ed25519: deterministic
 * signatures, so re-signing the same payload yields the same bytes). The public half is published as
 * a JWKS, so any party verifies a statement offline.
 */
import {
  CompactSign,
  compactVerify,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { FederaError } from '@federa/domain';
import { assertClearingKey, clearingKeysOf } from './key-purpose';
import type { StatementPayload } from './statement';

export const CLEARING_ALG = 'EdDSA';
export const STATEMENT_TYP = 'federa-statement+jws';

export interface ClearingKey {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

export async function generateClearingKey(kid: string): Promise<ClearingKey> {
  const { privateKey, publicKey } = await generateKeyPair('Ed25519', { extractable: true });
  const meta = { kid, alg: CLEARING_ALG, use: 'sig' };
  return {
    privateJwk: { ...(await exportJWK(privateKey)), ...meta },
    publicJwk: { ...(await exportJWK(publicKey)), ...meta },
  };
}

/** KEY_PURPOSE_MISMATCH for an exchange-file key: only the clearing key signs money. */
export async function signStatement(payload: StatementPayload, key: JWK): Promise<string> {
  assertClearingKey(key, 'statement');
  const k = await importJWK(key, CLEARING_ALG);
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: CLEARING_ALG, kid: key.kid, typ: STATEMENT_TYP })
    .sign(k);
}

export interface Verified {
  readonly payload: StatementPayload;
  readonly kid: string | undefined;
}

/**
 * Verify a statement's signature against the clearing keys of `jwks` (exchange-file keys in it are
 * ignored: a statement they signed is a forgery); throws SIGNATURE_INVALID otherwise.
 */
export async function verifyStatement(jws: string, jwks: JSONWebKeySet): Promise<Verified> {
  const clearing = clearingKeysOf(jwks);
  if (clearing.keys.length === 0)
    throw new FederaError(
      'SIGNATURE_INVALID',
      'statement signature does not verify: the JWKS holds no clearing key (exchange-file keys never sign statements)',
    );
  try {
    const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(clearing), {
      algorithms: [CLEARING_ALG],
    });
    // the clearing key signs credit notes too: their own typ keeps one from passing as a statement
    if (protectedHeader.typ !== STATEMENT_TYP)
      throw new Error(`typ ${protectedHeader.typ} is not a statement`);
    return {
      payload: JSON.parse(new TextDecoder().decode(payload)) as StatementPayload,
      kid: protectedHeader.kid,
    };
  } catch (err) {
    throw new FederaError(
      'SIGNATURE_INVALID',
      `statement signature does not verify: ${(err as { code?: string }).code ?? (err as Error).message}`,
    );
  }
}
