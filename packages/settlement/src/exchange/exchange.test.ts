import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateClearingKey } from '../signing';
import { generateExchangeFileKey } from './file-key';
import { MODELS, OPS, settle, toRecords, type GenRecord } from './exchange-world.test-support';
import { buildExchangeFile, exchangeManifest, signExchangeFile, type ExchangeSource } from './files';
import { recomputeExchange } from './recompute';
import { verifyExchangeFile } from './verify-file';

const genRecord: fc.Arbitrary<GenRecord> = fc.record({
  home: fc.constantFrom(...OPS),
  serving: fc.constantFrom(...OPS),
  model: fc.constantFrom(...MODELS),
  offsetMs: fc.integer({ min: 0, max: 2 * 86_400_000 - 1 }),
  inputTokens: fc.integer({ min: 0, max: 100_000 }),
  outputTokens: fc.integer({ min: 0, max: 100_000 }),
});

/** every file of the statement (detailed records included) by name */
async function allFiles(source: ExchangeSource, partRecords: number): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const { name } of exchangeManifest(source.payload, partRecords))
    files.set(name, (await buildExchangeFile(source, name, partRecords)).bytes);
  return files;
}

const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

describe('exchange files', () => {
  it('recompute to their statement for any federation, part size and time zone', async () => {
    const key = await generateClearingKey('prop');
    await fc.assert(
      fc.asyncProperty(
        fc.array(genRecord, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom(undefined, 'UTC', 'Europe/Stockholm', 'Asia/Kolkata', 'America/Los_Angeles'),
        async (gen, partRecords, timeZone) => {
          const { statements } = await settle(toRecords(gen), timeZone, key);
          for (const { source, payload } of statements) {
            const files = await allFiles(source, partRecords);
            const report = await recomputeExchange(files, { clearingJwks: { keys: [key.publicJwk] } });
            expect(report.problems).toEqual([]);
            expect(report.statementId).toBe(payload.statementId);
            // no part is over the size asked for, and every record is in exactly one part
            const rows = [...files.entries()]
              .filter(([n]) => n.startsWith('detailed-records') && n.endsWith('.json'))
              .map(([, b]) => JSON.parse(text(b)) as { rows: { recordRef: string }[] });
            for (const part of rows) expect(part.rows.length).toBeLessThanOrEqual(partRecords);
            const refs = rows.flatMap((p) => p.rows.map((r) => r.recordRef));
            expect(new Set(refs).size).toBe(refs.length);
            expect(refs.length).toBe(payload.lines.reduce((s, l) => s + l.records, 0));
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('are the same bytes and signatures every time', async () => {
    const records = toRecords(
      fc.sample(fc.array(genRecord, { minLength: 30, maxLength: 30 }), { numRuns: 1, seed: 7 })[0]!,
    );
    const a = await settle(records, 'Europe/Stockholm');
    const b = await settle(records, 'Europe/Stockholm', a.key);
    const fileKey = await generateExchangeFileKey();
    for (const [i, { source }] of a.statements.entries()) {
      const other = b.statements[i]!.source;
      for (const { name } of exchangeManifest(source.payload, 4)) {
        const x = await buildExchangeFile(source, name, 4);
        const y = await buildExchangeFile(other, name, 4);
        expect(text(y.bytes)).toBe(text(x.bytes));
        expect(await signExchangeFile(y, fileKey.privateJwk)).toBe(
          await signExchangeFile(x, fileKey.privateJwk),
        );
      }
    }
  });

  it('splits a day at midnight in the statement time zone, not UTC', async () => {
    // 23:30 UTC on the 28th is already the 29th in Stockholm (UTC+1 in March before the DST change)
    const gen: GenRecord[] = [
      {
        home: 'opa',
        serving: 'opb',
        model: 'm-a',
        offsetMs: 23.5 * 3_600_000,
        inputTokens: 5,
        outputTokens: 5,
      },
      {
        home: 'opa',
        serving: 'opb',
        model: 'm-a',
        offsetMs: 10 * 3_600_000,
        inputTokens: 7,
        outputTokens: 1,
      },
    ];
    const utc = (await settle(toRecords(gen))).statements[0]!.source;
    const sto = (await settle(toRecords(gen), 'Europe/Stockholm')).statements[0]!.source;
    const days = async (s: ExchangeSource) =>
      (
        JSON.parse(text((await buildExchangeFile(s, 'usage-report.json', 10)).bytes)) as {
          rows: { day: string; records: number }[];
        }
      ).rows.map((r) => [r.day, r.records]);
    expect(await days(utc)).toEqual([['2026-03-28', 2]]);
    expect(await days(sto)).toEqual([
      ['2026-03-28', 1],
      ['2026-03-29', 1],
    ]);
  });

  it('are each verified against the exchange-file JWKS with their schema version', async () => {
    const key = await generateExchangeFileKey();
    const { statements } = await settle(
      toRecords(
        fc.sample(fc.array(genRecord, { minLength: 10, maxLength: 10 }), { numRuns: 1, seed: 3 })[0]!,
      ),
    );
    const jwks = { keys: [key.publicJwk] };
    const { source } = statements[0]!;
    for (const { name, kind, schema } of exchangeManifest(source.payload, 3)) {
      const file = await buildExchangeFile(source, name, 3);
      const jws = await signExchangeFile(file, key.privateJwk);
      expect(jws.split('.')[1]).toBe('');
      await expect(verifyExchangeFile(file.bytes, jws, jwks)).resolves.toMatchObject({
        file: name,
        kind,
        schema,
      });
    }
  });

  it('stops at a statement the clearing key did not sign, and compares nothing against it', async () => {
    const gen: GenRecord[] = [
      { home: 'opa', serving: 'opb', model: 'm-a', offsetMs: 0, inputTokens: 10, outputTokens: 1 },
    ];
    const { source } = (await settle(toRecords(gen))).statements[0]!;
    const files = await allFiles(source, 4);
    // the exchange-file JWKS given where the clearing one belongs: its key never verifies a statement
    const fileKey = await generateExchangeFileKey();
    expect(await recomputeExchange(files, { clearingJwks: { keys: [fileKey.publicJwk] } })).toEqual({
      statementId: null,
      checked: [],
      problems: [expect.stringMatching(/^statement.json: .*holds no clearing key/)],
    });
    const stranger = await generateClearingKey('exchange-test');
    expect(
      (await recomputeExchange(files, { clearingJwks: { keys: [stranger.publicJwk] } })).problems,
    ).toEqual([expect.stringMatching(/^statement.json: statement signature does not verify/)]);
  });

  it('names each disagreement: a changed amount, a dropped record, a moved record, a missing part', async () => {
    const gen: GenRecord[] = Array.from({ length: 6 }, (_, i) => ({
      home: 'opa',
      serving: 'opb',
      model: 'm-a',
      offsetMs: i * 3_600_000,
      inputTokens: 1000 + i,
      outputTokens: 10 * i,
    }));
    const { source } = (await settle(toRecords(gen))).statements[0]!;
    const files = await allFiles(source, 4);
    expect((await recomputeExchange(files)).problems).toEqual([]);
    const edit = (name: string, f: (doc: any) => void) => {
      const copy = new Map(files);
      const doc = JSON.parse(text(files.get(name)));
      f(doc);
      copy.set(name, new TextEncoder().encode(JSON.stringify(doc, null, 2) + '\n'));
      return copy;
    };
    const problems = async (m: Map<string, Uint8Array>) => (await recomputeExchange(m)).problems.join('\n');
    // a row's amount raised: repricing and the sums disagree, and the CSV no longer matches its twin
    expect(
      await problems(edit('detailed-records.line-1.part-1.json', (d) => (d.rows[0].amount += 1))),
    ).toMatch(/costs \d+, not \d+[\s\S]*amount sums to/);
    // a record dropped from a part: counts and the Merkle root disagree
    expect(await problems(edit('detailed-records.line-1.part-2.json', (d) => d.rows.pop()))).toMatch(
      /records sums to 5, the statement says 6[\s\S]*Merkle root/,
    );
    // the usage report's tokens changed
    expect(await problems(edit('usage-report.json', (d) => (d.rows[0].inputTokens -= 1)))).toMatch(
      /usage report, line 1: inputTokens sums to/,
    );
    // the document edited but not the statement it carries
    expect(await problems(edit('statement.json', (d) => (d.net.amount += 1)))).toMatch(
      /statement.json differs from the signed statement/,
    );
    const missing = new Map(files);
    missing.delete('detailed-records.line-1.part-2.json');
    expect(await problems(missing)).toMatch(/part-2.json is missing/);
    // a CSV cell changed
    const csv = new Map(files);
    csv.set(
      'usage-report.csv',
      new TextEncoder().encode(text(files.get('usage-report.csv')).replace('opb', 'opx')),
    );
    expect(await problems(csv)).toMatch(/usage-report.csv does not match its JSON twin/);
  });
});
