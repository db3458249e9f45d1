/**
 * Dev and onboarding key files: a private signing JWK and the public JWKS the API verifies with.
 * In production the JWKS comes from a URL and private keys never sit next to the API.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JSONWebKeySet, JWK } from 'jose';
import { generateSigningKey } from './jwt';

export interface DevKeyFiles {
  readonly dir: string;
  readonly signingKeyFile: string;
  readonly jwksFile: string;
}

export function devKeyFiles(dir: string): DevKeyFiles {
  return { dir, signingKeyFile: join(dir, 'signing-key.json'), jwksFile: join(dir, 'jwks.json') };
}

/** Create the key pair once; later calls keep the existing keys (tokens stay valid across restarts). */
export async function ensureDevKeys(dir: string, kid = 'federa-dev-1'): Promise<DevKeyFiles> {
  const files = devKeyFiles(dir);
  if (existsSync(files.signingKeyFile) && existsSync(files.jwksFile)) return files;
  mkdirSync(dir, { recursive: true });
  const key = await generateSigningKey(kid);
  writeFileSync(files.signingKeyFile, JSON.stringify(key.privateJwk, null, 2), { mode: 0o600 });
  const jwks: JSONWebKeySet = { keys: [key.publicJwk] };
  writeFileSync(files.jwksFile, JSON.stringify(jwks, null, 2));
  return files;
}

export function readSigningKey(file: string): JWK {
  return JSON.parse(readFileSync(file, 'utf8')) as JWK;
}
