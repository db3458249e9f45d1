/**
 * What an API key looks like. The secret is `fed_` + 32 random bytes in base64url (256 bits, so a
 * plain SHA-256 is a sound verifier: there is nothing to brute-force that a slow hash would protect).
 * It is shown once, at creation; only its hash is stored. The public id (`key_` + 72 random bits)
 * names the key everywhere else: lists, logs, audit entries, holds.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_KEY_PREFIX = 'fed_';
const SECRET_BYTES = 32;
/** `fed_` + 43 base64url characters */
const SECRET_PATTERN = /^fed_[A-Za-z0-9_-]{43}$/;

export interface NewApiKey {
  /** public: names the key */
  readonly id: string;
  /** the credential; returned to its creator once and never stored */
  readonly secret: string;
  /** what is stored to recognise it */
  readonly hash: string;
}

export function generateApiKey(): NewApiKey {
  const secret = API_KEY_PREFIX + randomBytes(SECRET_BYTES).toString('base64url');
  return { id: `key_${randomBytes(9).toString('base64url')}`, secret, hash: hashApiKey(secret) };
}

/** True for a string shaped like one of our keys (a JWT never starts with `fed_`). */
export function isApiKeyShaped(credential: string): boolean {
  return credential.startsWith(API_KEY_PREFIX);
}

export function isWellFormedApiKey(credential: string): boolean {
  return SECRET_PATTERN.test(credential);
}

/** SHA-256 of the secret, hex. */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compare two hex hashes without leaking where they differ. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
