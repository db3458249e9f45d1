/**
 * Local secrets of one profile (Redis passwords, the emulator control token), generated on first use
 * under .data/<profile>/secrets/ — the directory mode 0700, each file 0600 — and reused afterwards,
 * so `npm start` and the tests need nothing from the user. Values are never printed: callers pass
 * them to child processes through the environment or in URLs, and print only the file paths.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths';

export function secretsDir(profileName: string): string {
  const dir = join(ROOT, '.data', profileName, 'secrets');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700); // mkdir's mode does not apply to a directory that already existed
  return dir;
}

/** A URL-safe random secret: 32 bytes of entropy, hex (no character needs escaping in a URL). */
export function newSecret(): string {
  return randomBytes(32).toString('hex');
}

/** The secret stored under `name`, created (mode 0600) when missing. */
export function ensureSecret(profileName: string, name: string): string {
  const file = join(secretsDir(profileName), name);
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const value = newSecret();
  writeFileSync(file, value + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return value;
}

/** Writes a generated file that holds secret material (mode 0600), replacing what was there. */
export function writeSecretFile(profileName: string, name: string, contents: string): string {
  const file = join(secretsDir(profileName), name);
  writeFileSync(file, contents, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}
