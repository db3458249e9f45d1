/**
 * Verifies a statement's compact JWS in the browser against the clearing JWKS the federation
 * publishes at /.well-known/federa-clearing-jwks.json — the check any outsider can make, without
 * asking the API whether its own statement is genuine.
 */
import { calculateJwkThumbprint, compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';

/** statements are signed with Ed25519 only; any other algorithm is refused, never negotiated */
export const CLEARING_ALG = 'EdDSA';
export const JWKS_PATH = '/.well-known/federa-clearing-jwks.json';

/**
 * Keys marked with a purpose (today `"federa-purpose": "exchange-files"`: the API's file-signing key)
 * never verify a statement. Repeated here from @federa/settlement's key-purpose.ts rather than
 * imported: that package's entry brings its server side into the bundle.
 */
const KEY_PURPOSE_MEMBER = 'federa-purpose';
const clearingKeysOf = (jwks: JSONWebKeySet): JSONWebKeySet => ({
  keys: jwks.keys.filter((k) => !Object.hasOwn(k, KEY_PURPOSE_MEMBER)),
});

export type SignatureCheck =
  | {
      readonly valid: true;
      readonly kid: string;
      readonly alg: string;
      readonly typ: string | undefined;
      /** RFC 7638 thumbprint of the public key that verified it */
      readonly thumbprint: string;
      readonly statementId: string;
      readonly payloadBytes: number;
      /** the statement as signed, parsed: what the page compares the API's copy against */
      readonly payload: unknown;
    }
  | { readonly valid: false; readonly reason: string };

/**
 * Valid only if the signature verifies with a clearing key of `jwks` under EdDSA and the signed
 * payload is the statement `expectedId` (a genuine signature over another statement does not count).
 */
export async function verifyStatementSignature(
  jws: string,
  published: JSONWebKeySet,
  expectedId: string,
): Promise<SignatureCheck> {
  const jwks = clearingKeysOf(published);
  try {
    const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(jwks), {
      algorithms: [CLEARING_ALG],
    });
    const signed = JSON.parse(new TextDecoder().decode(payload)) as { statementId?: unknown };
    if (signed.statementId !== expectedId)
      return { valid: false, reason: `the signed payload is statement '${String(signed.statementId)}'` };
    const key = jwks.keys.find((k) => k.kid === protectedHeader.kid) ?? jwks.keys[0]!;
    return {
      valid: true,
      kid: protectedHeader.kid ?? '(none)',
      alg: protectedHeader.alg,
      typ: protectedHeader.typ,
      thumbprint: await calculateJwkThumbprint(key),
      statementId: expectedId,
      payloadBytes: payload.length,
      payload: signed,
    };
  } catch (err) {
    const code = (err as { code?: string }).code;
    return { valid: false, reason: code ? `${code}: ${(err as Error).message}` : (err as Error).message };
  }
}

/** The published key set, fetched the way an outsider would (no credential). */
export async function fetchClearingJwks(signal?: AbortSignal): Promise<JSONWebKeySet> {
  const res = await fetch(JWKS_PATH, { signal, credentials: 'omit' });
  if (!res.ok) throw new Error(`${JWKS_PATH} answered HTTP ${res.status}`);
  return (await res.json()) as JSONWebKeySet;
}
