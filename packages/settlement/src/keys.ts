/** The clearing key on disk (dev and onboarding): a private JWK and the JWKS operators verify with. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { JSONWebKeySet, JWK } from 'jose';
import { generateClearingKey } from './signing';

export interface ClearingKeyFiles {
  readonly keyFile: string;
  readonly jwksFile: string;
}

export function clearingKeyFiles(dir: string): ClearingKeyFiles {
  return { keyFile: join(dir, 'clearing-key.json'), jwksFile: join(dir, 'clearing-jwks.json') };
}

/** Create the key pair once; later calls keep it (statements stay verifiable across restarts). */
export async function ensureClearingKey(
  files: ClearingKeyFiles,
  kid = 'federa-clearing-1',
): Promise<ClearingKeyFiles> {
  if (existsSync(files.keyFile) && existsSync(files.jwksFile)) return files;
  mkdirSync(dirname(files.keyFile), { recursive: true });
  const key = await generateClearingKey(kid);
  writeFileSync(files.keyFile, JSON.stringify(key.privateJwk, null, 2), { mode: 0o600 });
  writeFileSync(files.jwksFile, JSON.stringify({ keys: [key.publicJwk] } satisfies JSONWebKeySet, null, 2));
  return files;
}

export function readJwk(file: string): JWK {
  return JSON.parse(readFileSync(file, 'utf8')) as JWK;
}

export function readJwks(file: string): JSONWebKeySet {
  return JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet;
}
