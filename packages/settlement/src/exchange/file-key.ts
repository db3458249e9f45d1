/**
 * The exchange-file key: an Ed25519 pair of its own, so the API, which signs exchange files when a
 * partner downloads them, never holds the clearing key that signs statements (key-purpose.ts).
 */
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { EXCHANGE_FILES_MARK, EXCHANGE_KEY_KID } from '../key-purpose';
import { CLEARING_ALG } from '../signing';

export interface ExchangeFileKey {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

/** Both halves carry the purpose mark: the signer checks the private one, verifiers the public one. */
export async function generateExchangeFileKey(kid = EXCHANGE_KEY_KID): Promise<ExchangeFileKey> {
  const { privateKey, publicKey } = await generateKeyPair('Ed25519', { extractable: true });
  const meta = { kid, alg: CLEARING_ALG, use: 'sig', ...EXCHANGE_FILES_MARK };
  return {
    privateJwk: { ...(await exportJWK(privateKey)), ...meta },
    publicJwk: { ...(await exportJWK(publicKey)), ...meta },
  };
}
