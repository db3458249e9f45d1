/**
 * The API's exchange-file key is read at startup and refused when it is, or could be, the clearing
 * key: unmarked, marked but carrying a clearing kid, or the clearing key's material relabelled.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EXCHANGE_FILES_MARK,
  clearingKeyFiles,
  ensureClearingKey,
  ensureExchangeKey,
  exchangeKeyFiles,
  readJwk,
  readJwks,
} from '@federa/settlement';
import { loadExchangeSigning } from './exchange-key';

async function keysDir() {
  const dir = mkdtempSync(join(tmpdir(), 'federa-api-keys-'));
  const clearing = await ensureClearingKey(clearingKeyFiles(dir));
  const exchange = await ensureExchangeKey(exchangeKeyFiles(dir));
  return { dir, clearing, exchange, clearingJwks: readJwks(clearing.jwksFile) };
}

describe("the API's exchange-file key", () => {
  it('loads the exchange-file key and the JWKS it publishes', async () => {
    const { exchange, clearingJwks } = await keysDir();
    const signing = await loadExchangeSigning(exchange, clearingJwks);
    expect(signing.key).toEqual(readJwk(exchange.keyFile));
    expect(signing.jwks).toEqual(readJwks(exchange.jwksFile));
  });

  it('runs without one (no signatures served) when there is no key file', async () => {
    const { dir, clearingJwks } = await keysDir();
    const missing = { keyFile: join(dir, 'none.json'), jwksFile: join(dir, 'none-jwks.json') };
    expect(await loadExchangeSigning(missing, clearingJwks)).toEqual({ jwks: { keys: [] } });
  });

  it('refuses the clearing key given as FEDERA_EXCHANGE_KEY_FILE', async () => {
    const { clearing, exchange, clearingJwks } = await keysDir();
    await expect(
      loadExchangeSigning({ keyFile: clearing.keyFile, jwksFile: exchange.jwksFile }, clearingJwks),
    ).rejects.toMatchObject({
      code: 'KEY_PURPOSE_MISMATCH',
      message: expect.stringMatching(/FEDERA_EXCHANGE_KEY_FILE .* is not an exchange-file key/),
    });
  });

  it('refuses the clearing key marked as an exchange-file key, under its own kid or another', async () => {
    const { dir, clearing, exchange, clearingJwks } = await keysDir();
    const relabelled = join(dir, 'relabelled.json');
    const files = { keyFile: relabelled, jwksFile: exchange.jwksFile };
    const clearingKey = readJwk(clearing.keyFile);
    writeFileSync(relabelled, JSON.stringify({ ...clearingKey, ...EXCHANGE_FILES_MARK }));
    await expect(loadExchangeSigning(files, clearingJwks)).rejects.toMatchObject({
      code: 'KEY_PURPOSE_MISMATCH',
      message: expect.stringMatching(/kid 'federa-clearing-1' of a clearing key/),
    });
    writeFileSync(relabelled, JSON.stringify({ ...clearingKey, ...EXCHANGE_FILES_MARK, kid: 'innocent-1' }));
    await expect(loadExchangeSigning(files, clearingJwks)).rejects.toMatchObject({
      code: 'KEY_PURPOSE_MISMATCH',
      message: expect.stringMatching(
        /is the clearing key 'federa-clearing-1' marked as an exchange-file key/,
      ),
    });
  });
});
