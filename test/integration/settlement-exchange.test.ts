/**
 * Exchange files end to end: settle a real period, download the statement's signed files through the
 * API as a party (with the CLI), verify every signature offline against the published exchange-file
 * JWKS, the statement they carry against the clearing JWKS, and recompute the files against the
 * statement with the CLI's own functions; a tenant and an operator that is no party are refused, and
 * a tampered file fails both checks. The API process itself signs with the exchange-file key it is
 * given, and refuses to start when given the clearing key.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JSONWebKeySet } from 'jose';
import { EXCHANGE_FILES_MARK, periodOf, type Period } from '@federa/settlement';
import { EXIT_CONFIG } from '@federa/telemetry';
import { MANIFEST_FILE, recomputeDirectory, verifyFile } from '../../apps/cli/src/exchange-files';
import { spawnApi } from '../support/api-process';
import { runCli } from '../support/cli';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { appendRecord } from '../support/settlement-fixtures';
import { testTopology } from '../support/topology';

const PERIOD_MS = 2000;
const GRACE_MS = 200;

/** the CLI as a partner runs it */
const cli = runCli;

describe('exchange files', () => {
  const s = uniqueSuffix();
  const rhein = `${s}-rhein`;
  const albion = `${s}-albion`;
  const dir = mkdtempSync(join(tmpdir(), 'federa-exchange-'));
  let fed: Federation;
  let statementId: string;
  /** the two published key sets, saved as a partner would: files, and the statement inside */
  let fileJwksFile: string;
  let clearingJwksFile: string;
  const readJwks = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s), { settlement: { periodMs: PERIOD_MS, graceMs: GRACE_MS } });
    let p: Period;
    for (;;) {
      p = periodOf(Date.now(), PERIOD_MS);
      if (p.endMs - Date.now() > 1200) break;
      await sleep(p.endMs - Date.now() + 20);
    }
    // six records rhein's tenants used at albion's site (one line: same model) and one home record
    for (let i = 0; i < 5; i++)
      await appendRecord(fed, {
        tenantId: `${s}-eu`,
        homeOperator: rhein,
        servingOperator: albion,
        siteId: `${s}-sto`,
        inputTokens: 1000 + i,
        outputTokens: 10 * i + 1,
      });
    await appendRecord(fed, {
      tenantId: `${s}-fr`,
      homeOperator: rhein,
      servingOperator: albion,
      siteId: `${s}-sto`,
    });
    await appendRecord(fed, {
      tenantId: `${s}-eu`,
      homeOperator: rhein,
      servingOperator: rhein,
      siteId: `${s}-fra`,
    });
    await sleep(p.endMs + GRACE_MS - Date.now() + 50);
    const settled = await fed.settle(p.id);
    statementId = settled.statements[0]!.statementId;
    expect(settled.statements.map((x) => x.statementId)).toEqual([`${p.id}/${albion}~${rhein}`]);
    const publish = async (path: string, file: string) => {
      writeFileSync(file, await (await fetch(`${fed.api.url}${path}`)).text());
      return file;
    };
    fileJwksFile = await publish(
      '/.well-known/federa-exchange-jwks.json',
      join(dir, '..', `${s}-exchange-jwks.json`),
    );
    clearingJwksFile = await publish(
      '/.well-known/federa-clearing-jwks.json',
      join(dir, '..', `${s}-clearing-jwks.json`),
    );
  });
  afterAll(async () => fed?.close());

  const codeOf = async (res: Response) =>
    ((await res.json()) as { error: { data: { federaCode: string } } }).error.data.federaCode;
  const get = (path: string, token?: string) =>
    fetch(`${fed.api.url}/exchange/statements/${encodeURIComponent(statementId)}/files${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  it('a party downloads the signed files, which verify offline and recompute to the statement', async () => {
    const operator = await fed.token('operator', rhein);
    const download = await cli([
      'exchange',
      'download',
      statementId,
      '--out',
      dir,
      '--detailed',
      '--part-records',
      '2',
      '--api',
      fed.api.url,
      '--token',
      operator,
    ]);
    expect(download.code, download.out).toBe(0);
    const names = readdirSync(dir)
      .filter((n) => n !== MANIFEST_FILE)
      .sort();
    // 6 roaming records in one line: 3 parts of 2; every file has its signature beside it
    expect(names.filter((n) => !n.endsWith('.jws'))).toEqual([
      'detailed-records.line-1.part-1.csv',
      'detailed-records.line-1.part-1.json',
      'detailed-records.line-1.part-2.csv',
      'detailed-records.line-1.part-2.json',
      'detailed-records.line-1.part-3.csv',
      'detailed-records.line-1.part-3.json',
      'statement.csv',
      'statement.json',
      'usage-report.csv',
      'usage-report.json',
    ]);
    expect(names.filter((n) => n.endsWith('.jws'))).toHaveLength(10);
    // the API's manifest is kept beside them: the files it lists, the key sets that verify them
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as {
      statementId: string;
      files: { name: string }[];
    };
    expect(manifest.statementId).toBe(statementId);
    expect(manifest.files.map((f) => f.name).sort()).toEqual(names.filter((n) => !n.endsWith('.jws')));
    const fileJwks = readJwks(fileJwksFile);
    const clearingJwks = readJwks(clearingJwksFile);
    for (const n of names.filter((x) => !x.endsWith('.jws')))
      expect(await verifyFile(join(dir, n), fileJwks)).toMatchObject({
        valid: true,
        file: n,
        kid: fed.exchangeKey.publicJwk.kid,
      });
    // the document's statement is the clearing key's, whichever key signed the file around it
    expect(await verifyFile(join(dir, 'statement.json'), fileJwks, { clearingJwks })).toMatchObject({
      valid: true,
      statement: { statementId, kid: fed.clearingKey.publicJwk.kid },
    });
    const report = await recomputeDirectory(dir, { clearingJwks, fileJwks });
    expect(report.problems).toEqual([]);
    expect(report.statementId).toBe(statementId);
    expect(report.checked).toContain('line 1: detailed records repriced, summed and Merkle root');
    // the document carries the statement exactly as stored
    const doc = JSON.parse(readFileSync(join(dir, 'statement.json'), 'utf8'));
    expect(doc.statementJws).toBe(await fed.settlementStore.get(statementId));
    expect(doc.lines[0]).toMatchObject({ records: 6, creditor: albion, debtor: rhein });
    const recompute = await cli([
      'exchange',
      'recompute',
      dir,
      '--clearing-jwks',
      clearingJwksFile,
      '--file-jwks',
      fileJwksFile,
    ]);
    expect(recompute.code, recompute.out).toBe(0);
    expect(recompute.out).toContain('each signed by the exchange-file key');
    // the same statement gives the same bytes (an admin's download too)
    const admin = await fed.token('admin', 'exchange@federation');
    const again = await get('/usage-report.csv', admin);
    expect(again.status).toBe(200);
    expect(await again.text()).toBe(readFileSync(join(dir, 'usage-report.csv'), 'utf8'));
  });

  it('refuses tenants (403), operators that are no party (404) and callers without credentials (401)', async () => {
    const tenant = await fed.token('tenant', `${s}-eu`);
    const outsider = await fed.token('operator', `${s}-pacific`);
    for (const path of ['', '/statement.json', '/statement.json.jws']) {
      const t = await get(path, tenant);
      expect([path, t.status, await codeOf(t)]).toEqual([path, 403, 'FORBIDDEN']);
      const o = await get(path, outsider);
      expect([path, o.status, await codeOf(o)]).toEqual([path, 404, 'NOT_FOUND']);
      const anon = await get(path);
      expect([path, anon.status]).toEqual([path, 401]);
    }
    const operator = await fed.token('operator', rhein);
    const bad = await get('?partRecords=0', operator);
    expect([bad.status, await codeOf(bad)]).toEqual([400, 'VALIDATION_FAILED']);
    const unknown = await get('/../../statement.json', operator);
    expect(unknown.status).toBe(404);
    const noSuchPart = await get('/detailed-records.line-1.part-9.json', operator);
    expect(noSuchPart.status).toBe(404);
  });

  it('publishes the two key sets apart, and names both in the manifest', async () => {
    expect(readJwks(fileJwksFile)).toEqual({ keys: [fed.exchangeKey.publicJwk] });
    expect(readJwks(fileJwksFile).keys[0]).toMatchObject(EXCHANGE_FILES_MARK);
    expect(readJwks(clearingJwksFile)).toEqual({ keys: [fed.clearingKey.publicJwk] });
    const manifest = await get('', await fed.token('operator', rhein));
    expect(await manifest.json()).toMatchObject({
      jwks: '/.well-known/federa-exchange-jwks.json',
      statementJwks: '/.well-known/federa-clearing-jwks.json',
    });
  });

  it('the CLI fails (exit 1) with either JWKS in the place of the other, and exits 2 on a usage error', async () => {
    const file = join(dir, 'usage-report.json');
    const clearingForFiles = await cli(['exchange', 'verify', file, '--file-jwks', clearingJwksFile]);
    expect([clearingForFiles.code, clearingForFiles.out]).toEqual([
      1,
      expect.stringMatching(/no exchange-file key/),
    ]);
    const swapped = await cli(['exchange', 'recompute', dir, '--clearing-jwks', fileJwksFile]);
    expect([swapped.code, swapped.out]).toEqual([1, expect.stringMatching(/no clearing key/)]);
    const noKeys = await cli(['exchange', 'verify', file]);
    expect([noKeys.code, noKeys.out]).toEqual([2, expect.stringMatching(/--file-jwks is required/)]);
  });

  it('a tampered file fails verification and recomputation, with a non-zero exit', async () => {
    const jwks = readJwks(fileJwksFile);
    const file = join(dir, 'detailed-records.line-1.part-2.json');
    const original = readFileSync(file, 'utf8');
    const doc = JSON.parse(original);
    doc.rows[0].inputTokens += 1;
    writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
    try {
      expect(await verifyFile(file, jwks)).toMatchObject({ valid: false });
      const report = await recomputeDirectory(dir, {
        clearingJwks: readJwks(clearingJwksFile),
        fileJwks: jwks,
      });
      expect(report.problems.join('\n')).toMatch(/inputTokens sums to .*, the statement says/);
      expect(report.problems.join('\n')).toMatch(/part-2.json: file signature does not verify/);
      // --jwks, the option's name before the split, still checks the file's signature
      const verify = await cli(['exchange', 'verify', file, '--jwks', fileJwksFile]);
      expect(verify.code).toBe(1);
      expect(verify.out).toMatch(/signature INVALID/);
      const recompute = await cli(['exchange', 'recompute', dir]);
      expect(recompute.code).toBe(1);
      expect(recompute.out).toMatch(/mismatch/);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('the API process signs with the exchange-file key FEDERA_EXCHANGE_KEY_FILE names', async () => {
    const api = spawnApi(fed);
    try {
      const url = await api.ready;
      const published = (await (
        await fetch(`${url}/.well-known/federa-exchange-jwks.json`)
      ).json()) as JSONWebKeySet;
      expect(published).toEqual({ keys: [fed.exchangeKey.publicJwk] });
      const headers = { authorization: `Bearer ${await fed.token('operator', rhein)}` };
      const file = `${url}/exchange/statements/${encodeURIComponent(statementId)}/files/statement.json`;
      const saved = join(mkdtempSync(join(tmpdir(), 'federa-exchange-api-')), 'statement.json');
      writeFileSync(saved, new Uint8Array(await (await fetch(file, { headers })).arrayBuffer()));
      writeFileSync(`${saved}.jws`, await (await fetch(`${file}.jws`, { headers })).text());
      expect(await verifyFile(saved, published, { clearingJwks: readJwks(clearingJwksFile) })).toMatchObject({
        valid: true,
        kid: fed.exchangeKey.publicJwk.kid,
        statement: { statementId, kid: fed.clearingKey.publicJwk.kid },
      });
    } finally {
      await api.kill();
    }
  });

  // the keys are read when each case runs: the federation exists by then
  it.each([
    ['the clearing key as its exchange key', 'FEDERA_EXCHANGE_KEY_FILE', () => fed.clearingKey.privateJwk],
    [
      'the clearing key marked as an exchange-file key',
      'FEDERA_EXCHANGE_KEY_FILE',
      () => ({ ...fed.clearingKey.privateJwk, ...EXCHANGE_FILES_MARK }),
    ],
    ['the clearing key in its environment', 'FEDERA_CLEARING_KEY_FILE', () => fed.clearingKey.privateJwk],
  ] as const)(
    'the API process does not start with %s (%s): KEY_PURPOSE_MISMATCH',
    async (_what, setting, key) => {
      const keyFile = join(mkdtempSync(join(tmpdir(), 'federa-api-key-')), 'key.json');
      writeFileSync(keyFile, JSON.stringify(key()), { mode: 0o600 });
      const api = spawnApi(fed, { [setting]: keyFile });
      try {
        const refusal = await api.ready.then(
          () => 'it started',
          (err: Error) => err.message,
        );
        // one fatal line naming the code, and no stack trace: an operator's mistake, not a crash
        expect(refusal).toMatch(/"level":60,.*"code":"KEY_PURPOSE_MISMATCH"/);
        expect(refusal).not.toMatch(/^\s+at /m);
        expect(api.proc.exitCode).toBe(EXIT_CONFIG);
      } finally {
        await api.kill();
      }
    },
  );
});
