import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvCell, csvDocument, parseCsv } from './csv';
import { parseExchangeFileName, exchangeFileName } from './schemas';

describe('exchange CSV', () => {
  it('quotes commas, quotes and line breaks, and defuses formulas in text cells only', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\r\nlines')).toBe('"two\r\nlines"');
    for (const f of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx'])
      expect(csvCell(f).replace(/^"/, '')[0]).toBe("'");
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(null)).toBe('');
  });

  it('ends every row with CRLF after a header row', () => {
    expect(csvDocument(['a', 'b'], [[1, 'x']])).toBe('a,b\r\n1,x\r\n');
  });

  it('parses back what it wrote, for any text (formula-looking cells keep their leading quote)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string(), { minLength: 2, maxLength: 2 }), { maxLength: 8 }),
        (rows) => {
          const parsed = parseCsv(csvDocument(['x', 'y'], rows));
          const defused = rows.map((r) => r.map((c) => (/^[=+\-@\t\r]/.test(c) ? `'${c}` : c)));
          expect(parsed).toEqual([['x', 'y'], ...defused]);
        },
      ),
    );
  });

  it('file names round-trip and nothing else parses', () => {
    const names = ['usage-report.json', 'statement.csv', 'detailed-records.line-12.part-3.csv'];
    for (const n of names) expect(exchangeFileName(parseExchangeFileName(n)!)).toBe(n);
    for (const bad of [
      '../statement.json',
      'statement.json.jws',
      'detailed-records.line-0.part-1.json',
      'x.csv',
    ])
      expect(parseExchangeFileName(bad)).toBeNull();
  });
});
