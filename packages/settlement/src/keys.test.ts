/**
 * The dev/test key bootstrap writes the exchange-file key beside the clearing key, under its own
 * names, marked for its purpose, and keeps both once written.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXCHANGE_KEY_KID } from './key-purpose';
import {
  clearingKeyFiles,
  ensureClearingKey,
  ensureExchangeKey,
  exchangeKeyFiles,
  readJwk,
  readJwks,
} from './keys';

describe('key files', () => {
  it('writes the exchange-file key beside the clearing key, marked, private 0600, and keeps it', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'federa-keys-')), 'keys');
    const clearing = await ensureClearingKey(clearingKeyFiles(dir));
    const exchange = await ensureExchangeKey(exchangeKeyFiles(dir));
    expect(exchange).toEqual({
      keyFile: join(dir, 'exchange-key.json'),
      jwksFile: join(dir, 'exchange-jwks.json'),
    });
    expect(readJwk(exchange.keyFile)).toMatchObject({
      kid: EXCHANGE_KEY_KID,
      'federa-purpose': 'exchange-files',
      d: expect.any(String),
    });
    const [published] = readJwks(exchange.jwksFile).keys;
    expect(published).toMatchObject({ kid: EXCHANGE_KEY_KID, 'federa-purpose': 'exchange-files' });
    expect(published).not.toHaveProperty('d');
    expect(statSync(exchange.keyFile).mode & 0o777).toBe(0o600);
    // the clearing key's files stay unmarked
    expect(readJwks(clearing.jwksFile).keys[0]).not.toHaveProperty('federa-purpose');
    expect(readJwk(clearing.keyFile)).not.toHaveProperty('federa-purpose');
    // a second bootstrap keeps the key (exchange files stay verifiable across restarts)
    const before = readFileSync(exchange.keyFile, 'utf8');
    await ensureExchangeKey(exchangeKeyFiles(dir));
    expect(readFileSync(exchange.keyFile, 'utf8')).toBe(before);
  });
});
