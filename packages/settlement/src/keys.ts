/**
 * The federation's signing keys on disk (dev and onboarding): for each, a private JWK and the JWKS
 * others verify with. The clearing key (statements) goes to the settlement worker only, the
 * exchange-file key (exchange files) to the API only; key-purpose.ts keeps them apart.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { JSONWebKeySet, JWK } from 'jose';
import { generateExchangeFileKey } from './exchange/file-key';
import { EXCHANGE_KEY_KID } from './key-purpose';
import { generateClearingKey } from './signing';

/** Where one key pair lives: the private JWK and the public JWKS. */
export interface KeyFiles {
  readonly keyFile: string;
  readonly jwksFile: string;
}

export type ClearingKeyFiles = KeyFiles;
export type ExchangeKeyFiles = KeyFiles;

export function clearingKeyFiles(dir: string): ClearingKeyFiles {
  return { keyFile: join(dir, 'clearing-key.json'), jwksFile: join(dir, 'clearing-jwks.json') };
}

/** Beside the clearing key's files, under their own names (the API mounts these, never those). */
export function exchangeKeyFiles(dir: string): ExchangeKeyFiles {
  return { keyFile: join(dir, 'exchange-key.json'), jwksFile: join(dir, 'exchange-jwks.json') };
}

/** Write a pair once; later calls keep it (what it signed stays verifiable across restarts). */
async function ensureKeyPair(
  files: KeyFiles,
  generate: () => Promise<{ privateJwk: JWK; publicJwk: JWK }>,
): Promise<KeyFiles> {
  if (existsSync(files.keyFile) && existsSync(files.jwksFile)) return files;
  mkdirSync(dirname(files.keyFile), { recursive: true });
  const key = await generate();
  writeFileSync(files.keyFile, JSON.stringify(key.privateJwk, null, 2), { mode: 0o600 });
  writeFileSync(files.jwksFile, JSON.stringify({ keys: [key.publicJwk] } satisfies JSONWebKeySet, null, 2));
  return files;
}

export function ensureClearingKey(
  files: ClearingKeyFiles,
  kid = 'federa-clearing-1',
): Promise<ClearingKeyFiles> {
  return ensureKeyPair(files, () => generateClearingKey(kid));
}

export function ensureExchangeKey(
  files: ExchangeKeyFiles,
  kid = EXCHANGE_KEY_KID,
): Promise<ExchangeKeyFiles> {
  return ensureKeyPair(files, () => generateExchangeFileKey(kid));
}

export function readJwk(file: string): JWK {
  return JSON.parse(readFileSync(file, 'utf8')) as JWK;
}

export function readJwks(file: string): JSONWebKeySet {
  return JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet;
}
