/**
 * Two Ed25519 keys sign for the federation, and neither may stand in for the other:
 *
 * - the **clearing key** signs statements and credit notes (money). Only the settlement worker holds
 *   it; its JWKs carry no purpose member.
 * - the **exchange-file key** signs exchange files (copies of what a statement already says, for a
 *   partner's loader). The internet-facing API holds it; its JWKs, private and public, carry
 *   `"federa-purpose": "exchange-files"`.
 *
 * The marking is what keeps a compromised API from minting statements: a statement verifier never
 * looks at a marked key, the exchange-file verifier looks at nothing else, and each signer refuses
 * the other kind of key. Unknown JWK members are ignored by JOSE libraries, so a marked public key
 * still verifies anywhere.
 */
import { calculateJwkThumbprint, type JSONWebKeySet, type JWK } from 'jose';
import { FederaError } from '@federa/domain';

/** the custom JWK member naming what a key signs */
export const KEY_PURPOSE_MEMBER = 'federa-purpose';
export const EXCHANGE_FILES_PURPOSE = 'exchange-files';
/** the exchange-file key's kid in dev and tests (a rotation bumps the number) */
export const EXCHANGE_KEY_KID = 'federa-exchange-1';

/** the member itself, spread into a key's JWKs when it is made */
export const EXCHANGE_FILES_MARK = { [KEY_PURPOSE_MEMBER]: EXCHANGE_FILES_PURPOSE } as const;

export function isExchangeFileKey(jwk: JWK): boolean {
  return (jwk as Record<string, unknown>)[KEY_PURPOSE_MEMBER] === EXCHANGE_FILES_PURPOSE;
}

/**
 * A clearing key has no purpose member at all: a key marked for anything (today only exchange files)
 * is never one, so a new purpose cannot slip a key into the statement verifiers by accident.
 */
export function isClearingKey(jwk: JWK): boolean {
  return !Object.hasOwn(jwk, KEY_PURPOSE_MEMBER);
}

/** The keys of `jwks` a statement or credit note may be verified with. */
export function clearingKeysOf(jwks: JSONWebKeySet): JSONWebKeySet {
  return { keys: jwks.keys.filter(isClearingKey) };
}

/** The keys of `jwks` an exchange file may be verified with. */
export function exchangeFileKeysOf(jwks: JSONWebKeySet): JSONWebKeySet {
  return { keys: jwks.keys.filter(isExchangeFileKey) };
}

/** Before signing a statement or credit note: an exchange-file key is refused. */
export function assertClearingKey(jwk: JWK, signing: string): void {
  if (!isClearingKey(jwk))
    throw new FederaError(
      'KEY_PURPOSE_MISMATCH',
      `refusing to sign a ${signing} with key '${jwk.kid ?? '?'}': it is marked ${KEY_PURPOSE_MEMBER}: ${String((jwk as Record<string, unknown>)[KEY_PURPOSE_MEMBER])}, not a clearing key`,
      { kid: jwk.kid },
    );
}

/** Before signing an exchange file: anything but a key marked for exchange files is refused. */
export function assertExchangeFileKey(jwk: JWK): void {
  if (!isExchangeFileKey(jwk))
    throw new FederaError(
      'KEY_PURPOSE_MISMATCH',
      `refusing to sign an exchange file with key '${jwk.kid ?? '?'}': it is not marked "${KEY_PURPOSE_MEMBER}": "${EXCHANGE_FILES_PURPOSE}" (a clearing key signs statements only)`,
      { kid: jwk.kid },
    );
}

/**
 * The key of `jwks` that `jwk` is, matched by kid or by public key (RFC 7638 thumbprint, so a copy
 * under another kid or with other members still matches); undefined when it is none of them.
 */
export async function sameKeyIn(
  jwk: JWK,
  jwks: JSONWebKeySet,
): Promise<{ readonly key: JWK; readonly by: 'kid' | 'public key' } | undefined> {
  const byKid = jwks.keys.find((k) => k.kid !== undefined && k.kid === jwk.kid);
  if (byKid) return { key: byKid, by: 'kid' };
  const thumbprint = await calculateJwkThumbprint(jwk);
  for (const key of jwks.keys)
    if ((await calculateJwkThumbprint(key)) === thumbprint) return { key, by: 'public key' };
  return undefined;
}
