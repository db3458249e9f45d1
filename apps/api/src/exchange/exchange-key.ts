/**
 * The key the API signs exchange files with. The API faces the internet, so it must never hold the
 * clearing key (that key signs statements: money). A key is refused, before the API listens, when it
 * is not marked as an exchange-file key, or when it shares a kid or its public key with the clearing
 * JWKS: a relabelled clearing key is still the clearing key.
 */
import { existsSync } from 'node:fs';
import type { JSONWebKeySet, JWK } from 'jose';
import { FederaError } from '@federa/domain';
import {
  EXCHANGE_FILES_PURPOSE,
  KEY_PURPOSE_MEMBER,
  isExchangeFileKey,
  readJwk,
  readJwks,
  sameKeyIn,
} from '@federa/settlement';

export interface ExchangeSigning {
  /** absent: no key file, and the API serves exchange files without signatures (404) */
  readonly key?: JWK;
  /** published at /.well-known/federa-exchange-jwks.json (empty without a file) */
  readonly jwks: JSONWebKeySet;
}

const refuse = (message: string, details: Record<string, unknown>) =>
  new FederaError('KEY_PURPOSE_MISMATCH', message, details);

/** KEY_PURPOSE_MISMATCH unless `key` is an exchange-file key and no clearing key; `source` names it in the message. */
export async function assertExchangeKeyApart(
  key: JWK,
  clearingJwks: JSONWebKeySet,
  source: string,
): Promise<void> {
  if (!isExchangeFileKey(key))
    throw refuse(
      `${source} is not an exchange-file key (no "${KEY_PURPOSE_MEMBER}": "${EXCHANGE_FILES_PURPOSE}"): ` +
        'the API must never hold the clearing key, which signs statements; give it the exchange-file key',
      { kid: key.kid },
    );
  const clearing = await sameKeyIn(key, clearingJwks);
  if (clearing?.by === 'kid')
    throw refuse(
      `${source} has the kid '${key.kid}' of a clearing key: the API must never hold the clearing key`,
      { kid: key.kid },
    );
  if (clearing)
    throw refuse(
      `${source} is the clearing key '${clearing.key.kid ?? '?'}' marked as an exchange-file key: the API must never hold the clearing key`,
      { kid: key.kid, clearingKid: clearing.key.kid },
    );
}

/** Read at startup, before anything connects: a wrong key stops the process with KEY_PURPOSE_MISMATCH. */
export async function loadExchangeSigning(
  files: { readonly keyFile: string; readonly jwksFile: string },
  clearingJwks: JSONWebKeySet,
): Promise<ExchangeSigning> {
  const jwks = existsSync(files.jwksFile) ? readJwks(files.jwksFile) : { keys: [] };
  if (!existsSync(files.keyFile)) return { jwks };
  const key = readJwk(files.keyFile);
  await assertExchangeKeyApart(key, clearingJwks, `FEDERA_EXCHANGE_KEY_FILE (${files.keyFile})`);
  return { key, jwks };
}
