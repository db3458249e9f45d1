/**
 * Splits a payload-keys file (packages/sealing's PayloadKeys: every jurisdiction's key pair and the
 * API's, as `npm start` generates in .data/dev/keys/payload-keys.json) into what each Kubernetes
 * Secret of the Helm chart must hold, and nothing more:
 *   api.json   every jurisdiction's public key, the API's key pair  → api.payloadKeysSecret
 *   <CC>.json  jurisdiction CC's key pair, the API's public key     → payloadKeySecrets.<CC>
 *
 *   npx tsx scripts/payload-key-secrets.ts <payload-keys.json> <out-dir>
 *   kubectl -n federa create secret generic federa-payload-key-de --from-file=payload-keys.json=<out-dir>/DE.json
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';

interface KeyPair {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}
interface PayloadKeys {
  readonly jurisdictions: Readonly<Record<string, KeyPair>>;
  readonly api: KeyPair;
}

export function splitPayloadKeys(keys: PayloadKeys): Record<string, unknown> {
  const out: Record<string, unknown> = {
    api: {
      jurisdictions: Object.fromEntries(
        Object.entries(keys.jurisdictions).map(([cc, k]) => [cc, { publicJwk: k.publicJwk }]),
      ),
      api: keys.api,
    },
  };
  for (const [cc, pair] of Object.entries(keys.jurisdictions)) {
    out[cc] = { jurisdictions: { [cc]: pair }, api: { publicJwk: keys.api.publicJwk } };
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, dir] = process.argv.slice(2);
  if (!file || !dir) {
    process.stderr.write('usage: tsx scripts/payload-key-secrets.ts <payload-keys.json> <out-dir>\n');
    process.exit(2);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const parts = splitPayloadKeys(JSON.parse(readFileSync(file, 'utf8')) as PayloadKeys);
  for (const [name, content] of Object.entries(parts)) {
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(content, null, 2), { mode: 0o600 });
  }
  process.stdout.write(
    `${Object.keys(parts)
      .map((n) => join(dir, `${n}.json`))
      .join('\n')}\n`,
  );
}
