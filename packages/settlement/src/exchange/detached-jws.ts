/**
 * Detached JWS (RFC 7515 appendix F): a compact JWS whose payload segment is left empty, signed over
 * a file's exact bytes with the exchange-file key. The file travels as is (a partner's loader reads
 * plain JSON or CSV) and its signature beside it as `<file>.jws`; anyone verifies the pair offline
 * against the published exchange-file JWKS. Only keys marked for exchange files sign or verify here
 * (key-purpose.ts), so the clearing key never signs a file and a file key never passes for it.
 */
import { Buffer } from 'node:buffer';
import { CompactSign, compactVerify, createLocalJWKSet, importJWK, type JSONWebKeySet, type JWK } from 'jose';
import { FederaError } from '@federa/domain';
import { assertExchangeFileKey, exchangeFileKeysOf } from '../key-purpose';
import { CLEARING_ALG } from '../signing';

export interface DetachedHeader {
  readonly typ: string;
  /** the file's schema id: which layout (and version) the signer vouches the bytes follow */
  readonly schema: string;
  /** the file's name, so a signature moved onto another file of the same kind is refused */
  readonly file: string;
}

/** KEY_PURPOSE_MISMATCH unless `key` is marked as an exchange-file key. */
export async function signDetached(bytes: Uint8Array, header: DetachedHeader, key: JWK): Promise<string> {
  assertExchangeFileKey(key);
  const jws = await new CompactSign(bytes)
    .setProtectedHeader({
      alg: CLEARING_ALG,
      kid: key.kid,
      typ: header.typ,
      'federa-schema': header.schema,
      'federa-file': header.file,
    })
    .sign(await importJWK(key, CLEARING_ALG));
  const [h, , s] = jws.split('.');
  return `${h}..${s}`;
}

export interface DetachedVerified extends DetachedHeader {
  readonly kid: string | undefined;
}

/**
 * Check `jws` over `bytes` with the exchange-file keys of `jwks` (any other key in it is ignored);
 * SIGNATURE_INVALID when it is not a detached JWS of these exact bytes by one of them.
 */
export async function verifyDetached(
  bytes: Uint8Array,
  jws: string,
  jwks: JSONWebKeySet,
): Promise<DetachedVerified> {
  const parts = jws.trim().split('.');
  if (parts.length !== 3 || parts[1] !== '')
    throw new FederaError('SIGNATURE_INVALID', 'not a detached JWS (header..signature)');
  const fileKeys = exchangeFileKeysOf(jwks);
  if (fileKeys.keys.length === 0)
    throw new FederaError(
      'SIGNATURE_INVALID',
      'file signature does not verify: the JWKS holds no exchange-file key (the clearing JWKS signs statements, not files)',
    );
  const attached = `${parts[0]}.${Buffer.from(bytes).toString('base64url')}.${parts[2]}`;
  try {
    const { protectedHeader: h } = await compactVerify(attached, createLocalJWKSet(fileKeys), {
      algorithms: [CLEARING_ALG],
    });
    const schema = h['federa-schema'];
    const file = h['federa-file'];
    if (typeof h.typ !== 'string' || typeof schema !== 'string' || typeof file !== 'string')
      throw new FederaError('SIGNATURE_INVALID', 'the signature names no typ, schema or file');
    return { typ: h.typ, schema, file, kid: h.kid };
  } catch (err) {
    if (err instanceof FederaError) throw err;
    throw new FederaError(
      'SIGNATURE_INVALID',
      `file signature does not verify: ${(err as { code?: string }).code ?? (err as Error).message}`,
    );
  }
}
