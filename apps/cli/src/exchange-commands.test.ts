/**
 * `exchange verify` and `exchange recompute` offline, with the two key sets kept apart: file
 * signatures against the exchange-file JWKS, the carried statement against the clearing JWKS, and
 * either JWKS in the other's place fails (exit 1). `--jwks` keeps its old meaning per command.
 * Usage errors are UsageErrors, which `federa` turns into exit 2.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  buildExchangeFile,
  exchangeManifest,
  generateClearingKey,
  generateExchangeFileKey,
  signExchangeFile,
  signStatement,
  type ExchangeSource,
  type LineRecord,
} from '@federa/settlement';
import { UsageError } from './client';
import { runApiCommand } from './commands';
import { downloadExchange } from './exchange-files';
import { emptyStatement } from '@federa/settlement/testing';

const payload = emptyStatement({ net: { payer: null, payee: null, amount: 0 } });

/** a statement without lines has no records */
async function* noRecords(): AsyncIterable<LineRecord> {}

let dir: string;
let fileJwks: string;
let clearingJwks: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'federa-exchange-cli-'));
  const clearing = await generateClearingKey('federa-clearing-1');
  const fileKey = await generateExchangeFileKey();
  const source: ExchangeSource = {
    payload,
    jws: await signStatement(payload, clearing.privateJwk),
    records: noRecords,
    // no records, so no record is ever priced
    priceOf: () => ({ inputPer1M: 0, outputPer1M: 0 }),
  };
  for (const { name } of exchangeManifest(payload, 10)) {
    const file = await buildExchangeFile(source, name, 10);
    writeFileSync(join(dir, name), file.bytes);
    writeFileSync(join(dir, `${name}.jws`), await signExchangeFile(file, fileKey.privateJwk));
  }
  // the two published key sets, as a partner saves them, away from the files
  const keys = mkdtempSync(join(tmpdir(), 'federa-exchange-cli-keys-'));
  fileJwks = join(keys, 'exchange-jwks.json');
  clearingJwks = join(keys, 'clearing-jwks.json');
  writeFileSync(fileJwks, JSON.stringify({ keys: [fileKey.publicJwk] }));
  writeFileSync(clearingJwks, JSON.stringify({ keys: [clearing.publicJwk] }));
});

/** the command's exit code and what it printed */
async function federa(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const capture = (...a: unknown[]) => void lines.push(a.join(' '));
  vi.spyOn(console, 'log').mockImplementation(capture);
  vi.spyOn(console, 'error').mockImplementation(capture);
  const [group, verb, ...rest] = argv;
  const code = await runApiCommand(`${group} ${verb}`, rest);
  return { code, out: lines.join('\n') };
}
afterEach(() => vi.restoreAllMocks());

describe('federa exchange verify', () => {
  it('verifies a file against the exchange-file JWKS, and statement.json also against the clearing JWKS', async () => {
    const csv = await federa('exchange', 'verify', join(dir, 'usage-report.csv'), '--file-jwks', fileJwks);
    expect(csv).toEqual({
      code: 0,
      out: expect.stringMatching(/^signature valid: usage-report.csv .*federa-exchange-1/),
    });
    const doc = await federa(
      'exchange',
      'verify',
      join(dir, 'statement.json'),
      '--file-jwks',
      fileJwks,
      '--clearing-jwks',
      clearingJwks,
    );
    expect(doc.code).toBe(0);
    expect(doc.out).toContain(`statement ${payload.statementId}: signed by clearing key federa-clearing-1`);
  });

  it('takes --jwks as --file-jwks, as before the split', async () => {
    const legacy = await federa('exchange', 'verify', join(dir, 'statement.csv'), '--jwks', fileJwks);
    expect(legacy.code).toBe(0);
  });

  it('fails (exit 1) with either JWKS in the place of the other', async () => {
    const clearingForFiles = await federa(
      'exchange',
      'verify',
      join(dir, 'usage-report.json'),
      '--file-jwks',
      clearingJwks,
    );
    expect(clearingForFiles).toEqual({
      code: 1,
      out: expect.stringMatching(/INVALID.*holds no exchange-file key/),
    });
    const fileForStatement = await federa(
      'exchange',
      'verify',
      join(dir, 'statement.json'),
      '--file-jwks',
      fileJwks,
      '--clearing-jwks',
      fileJwks,
    );
    expect(fileForStatement).toEqual({
      code: 1,
      out: expect.stringMatching(/INVALID.*the statement it carries: .*holds no clearing key/),
    });
  });

  it('is a usage error (exit 2) without --file-jwks, or with both --jwks and --file-jwks', async () => {
    await expect(federa('exchange', 'verify', join(dir, 'statement.json'))).rejects.toThrow(
      new UsageError('--file-jwks is required'),
    );
    await expect(
      federa('exchange', 'verify', join(dir, 'statement.json'), '--jwks', fileJwks, '--file-jwks', fileJwks),
    ).rejects.toThrow(UsageError);
  });
});

describe('federa exchange recompute', () => {
  it('checks the statement with --clearing-jwks and every signature with --file-jwks', async () => {
    const both = await federa(
      'exchange',
      'recompute',
      dir,
      '--clearing-jwks',
      clearingJwks,
      '--file-jwks',
      fileJwks,
    );
    expect(both.code, both.out).toBe(0);
    expect(both.out).toContain('ok  the statement: signed by the clearing key');
    expect(both.out).toContain('ok  4 files: each signed by the exchange-file key');
    expect(both.out).not.toContain('not checked');
  });

  it('takes --jwks as --clearing-jwks, as before the split, and says the signatures were not checked', async () => {
    const legacy = await federa('exchange', 'recompute', dir, '--jwks', clearingJwks);
    expect(legacy.code, legacy.out).toBe(0);
    expect(legacy.out).toContain('ok  the statement: signed by the clearing key');
    expect(legacy.out).toMatch(/not checked:\n {2}-- {2}the files' signatures \(--file-jwks\)/);
  });

  it('fails (exit 1) with either JWKS in the place of the other', async () => {
    const swapped = await federa(
      'exchange',
      'recompute',
      dir,
      '--clearing-jwks',
      fileJwks,
      '--file-jwks',
      clearingJwks,
    );
    expect(swapped).toEqual({
      code: 1,
      out: expect.stringMatching(/statement.json: .*holds no clearing key/),
    });
    const clearingForFiles = await federa(
      'exchange',
      'recompute',
      dir,
      '--clearing-jwks',
      clearingJwks,
      '--file-jwks',
      clearingJwks,
    );
    expect(clearingForFiles.code).toBe(1);
    expect(clearingForFiles.out).toMatch(/usage-report.csv: .*holds no exchange-file key/);
  });

  it("is a usage error (exit 2) to check file signatures without the statement's", async () => {
    await expect(federa('exchange', 'recompute', dir, '--file-jwks', fileJwks)).rejects.toThrow(
      /--file-jwks goes with --clearing-jwks/,
    );
  });
});

describe('exchange download', () => {
  it('writes no file whose name the manifest makes up: only exchange file names become paths', async () => {
    const out = mkdtempSync(join(tmpdir(), 'federa-exchange-download-'));
    const requested: string[] = [];
    // an API (or something in its place) that answers with a manifest naming a path outside the directory
    const server = createServer((req, res) => {
      requested.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({ statementId: 'st-1', files: [{ name: '../escaped.json', onRequest: false }] }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await expect(
        downloadExchange({
          api: `http://127.0.0.1:${port}`,
          token: 't',
          statementId: 'st-1',
          dir: out,
          detailed: true,
        }),
      ).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringContaining('../escaped.json'),
      });
      expect(readdirSync(out)).toEqual([]);
      expect(existsSync(join(out, '..', 'escaped.json'))).toBe(false);
      expect(requested).toEqual(['/exchange/statements/st-1/files']);
    } finally {
      server.close();
    }
  });
});
