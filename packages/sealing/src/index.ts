/**
 * Sealed payloads: prompts and completions never rest in clear text in the orchestration layer.
 * The API seals a request's messages as a JWE to the keys of the jurisdictions the request may be
 * served in (one recipient each); only a site agent holding one of those keys can open it. The agent
 * seals the completion to the API's key. Temporal's history then stores ciphertext; routing and
 * metering use metadata (token counts) the API computes at the edge.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  CompactEncrypt,
  GeneralEncrypt,
  compactDecrypt,
  exportJWK,
  flattenedDecrypt,
  generateKeyPair,
  importJWK,
  type GeneralJWE,
  type JWK,
} from 'jose';
import { FederaError } from '@federa/domain';

const ALG = 'ECDH-ES+A256KW';
const ENC = 'A256GCM';

export interface KeyPair {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

export interface PayloadKeys {
  /** per jurisdiction (country code): the key site agents there open requests with */
  readonly jurisdictions: Readonly<Record<string, KeyPair>>;
  /** the API's key: site agents seal completions to it */
  readonly api: KeyPair;
}

async function keyPair(kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const meta = { kid, alg: ALG, use: 'enc' };
  return {
    privateJwk: { ...(await exportJWK(privateKey)), ...meta },
    publicJwk: { ...(await exportJWK(publicKey)), ...meta },
  };
}

export async function generatePayloadKeys(countries: readonly string[]): Promise<PayloadKeys> {
  const entries = await Promise.all(countries.map(async (c) => [c, await keyPair(`payload-${c}`)] as const));
  return { jurisdictions: Object.fromEntries(entries), api: await keyPair('payload-api') };
}

/** Dev: one file with every key, created once and extended with new countries. */
export async function ensurePayloadKeys(file: string, countries: readonly string[]): Promise<PayloadKeys> {
  const current: PayloadKeys | null = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as PayloadKeys)
    : null;
  const missing = countries.filter((c) => !current?.jurisdictions[c]);
  if (current && missing.length === 0) return current;
  const fresh = await generatePayloadKeys(missing);
  const keys: PayloadKeys = {
    jurisdictions: { ...current?.jurisdictions, ...fresh.jurisdictions },
    api: current?.api ?? fresh.api,
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  return keys;
}

export function readPayloadKeys(file: string): PayloadKeys {
  return JSON.parse(readFileSync(file, 'utf8')) as PayloadKeys;
}

/** Importing a JWK costs more than using it: keep each imported key (keyed by its material). */
type ImportedKey = Awaited<ReturnType<typeof importJWK>>;
const imported = new Map<string, Promise<ImportedKey>>();
function keyOf(jwk: JWK): Promise<ImportedKey> {
  const id = `${jwk.kid}|${jwk.x}|${jwk.d ?? ''}`;
  let key = imported.get(id);
  if (!key) {
    key = importJWK(jwk, ALG);
    imported.set(id, key);
  }
  return key;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Seal to every given jurisdiction's public key; any one of them can open it. */
export async function sealFor(plaintext: string, recipients: readonly JWK[]): Promise<GeneralJWE> {
  if (recipients.length === 0) {
    throw new FederaError('NO_ELIGIBLE_SITE', 'no jurisdiction key to seal the request for');
  }
  const jwe = new GeneralEncrypt(encoder.encode(plaintext)).setProtectedHeader({ enc: ENC });
  for (const r of recipients) jwe.addRecipient(await keyOf(r)).setUnprotectedHeader({ alg: ALG, kid: r.kid });
  return jwe.encrypt();
}

/** Open with the one key whose kid the payload was sealed to; refuse if it was sealed for others. */
export async function openWith(jwe: GeneralJWE, privateJwk: JWK): Promise<string> {
  const recipient = jwe.recipients.find((r) => r.header?.kid === privateJwk.kid);
  if (!recipient) throw new FederaError('RESIDENCY_VIOLATION', `payload is not sealed for ${privateJwk.kid}`);
  // decrypt through our own recipient only: one key agreement instead of one per recipient
  const { plaintext } = await flattenedDecrypt(
    {
      protected: jwe.protected,
      iv: jwe.iv,
      ciphertext: jwe.ciphertext,
      tag: jwe.tag,
      ...(jwe.aad ? { aad: jwe.aad } : {}),
      ...(recipient.header ? { header: recipient.header } : {}),
      ...(recipient.encrypted_key ? { encrypted_key: recipient.encrypted_key } : {}),
    },
    await keyOf(privateJwk),
  );
  return decoder.decode(plaintext);
}

export async function sealTo(plaintext: string, publicJwk: JWK): Promise<string> {
  return new CompactEncrypt(encoder.encode(plaintext))
    .setProtectedHeader({ alg: ALG, enc: ENC, kid: publicJwk.kid })
    .encrypt(await keyOf(publicJwk));
}

export async function openCompact(jwe: string, privateJwk: JWK): Promise<string> {
  const { plaintext } = await compactDecrypt(jwe, await keyOf(privateJwk));
  return decoder.decode(plaintext);
}

export type { GeneralJWE };
