import { describe, expect, it } from 'vitest';
import type { StatementLine, StatementPayload } from '@federa/settlement';
import { toCsv } from './statement-csv';

const line = (over: Partial<StatementLine>): StatementLine => ({
  lineNo: 1,
  kind: 'usage',
  creditor: 'albion',
  debtor: 'rhein',
  model: 'llama-3.1-8b',
  originalPeriod: null,
  reference: null,
  records: 1,
  inputTokens: 1,
  outputTokens: 1,
  amount: 10,
  currency: 'EUR',
  fx: { rate: '1.000000', rateMicros: 1_000_000, effectiveFrom: '2030-01-01T00:00:00.000Z' },
  settledAmount: 10,
  merkleRoot: 'ab',
  ...over,
});
const statement = (lines: StatementLine[]) =>
  ({ settlementCurrency: 'EUR', lines }) as unknown as StatementPayload;

/** RFC 4180 parse: enough to read back what toCsv wrote. */
function parse(csv: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i]!;
    if (quoted && c === '"' && csv[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (quoted && c === '"') quoted = false;
    else if (quoted || (c !== '"' && c !== ',' && !(c === '\r' && csv[i + 1] === '\n'))) cell += c;
    else if (c === '"') quoted = true;
    else {
      row.push(cell);
      cell = '';
      if (c === '\r') {
        rows.push(row);
        row = [];
        i++;
      }
    }
  }
  return rows;
}

describe('statement CSV export', () => {
  it('neutralises cells a spreadsheet would run as formulas', () => {
    const hostile = ['=HYPERLINK("http://x","y")', '+1+1', '-2+3', '@SUM(A1)', '\tTAB', '\rCR'];
    const rows = parse(toCsv(statement(hostile.map((model, i) => line({ lineNo: i + 1, model })))));
    const models = rows.slice(1).map((r) => r[4]);
    expect(models).toEqual(hostile.map((m) => `'${m}`));
  });

  it('quotes fields holding a comma, quote, CR or LF, and the rows still parse', () => {
    const tricky = ['a,b', 'say "hi"', 'line\nbreak', 'car\rriage'];
    const csv = toCsv(statement(tricky.map((reference, i) => line({ lineNo: i + 1, reference }))));
    // a bare CR ends a row in many spreadsheet readers: it must be inside quotes like LF
    for (const t of tricky) expect(csv).toContain(`"${t.replace(/"/g, '""')}"`);
    const rows = parse(csv);
    expect(rows).toHaveLength(1 + tricky.length);
    expect(rows.slice(1).map((r) => r[6])).toEqual(tricky);
    expect(rows.every((r) => r.length === rows[0]!.length)).toBe(true);
  });

  it('leaves numbers and ordinary text as they are', () => {
    const rows = parse(toCsv(statement([line({})])));
    expect(rows[1]).toEqual([
      '1',
      'usage',
      'albion',
      'rhein',
      'llama-3.1-8b',
      '',
      '',
      '1',
      '1',
      '1',
      '10',
      'EUR',
      '1.000000',
      '2030-01-01T00:00:00.000Z',
      '10',
      'EUR',
      'ab',
    ]);
  });
});
