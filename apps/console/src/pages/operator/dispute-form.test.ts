import { describe, expect, it } from 'vitest';
import { buildDispute, csvFilename } from './dispute-form';

describe('buildDispute', () => {
  it('sends the chosen lines with their amounts in micro-units', () => {
    expect(
      buildDispute([
        { lineNo: 1, selected: true, amount: '0.0005' },
        { lineNo: 2, selected: false, amount: 'ignored' },
        { lineNo: 3, selected: true, amount: '12' },
      ]),
    ).toEqual({
      ok: true,
      lines: [
        { lineNo: 1, amount: 500 },
        { lineNo: 3, amount: 12_000_000 },
      ],
    });
  });

  it('asks for at least one line', () => {
    expect(buildDispute([{ lineNo: 1, selected: false, amount: '' }])).toMatchObject({
      ok: false,
      errors: { form: expect.stringContaining('at least one line') },
    });
  });

  it('names each chosen line whose amount is not money', () => {
    const built = buildDispute([
      { lineNo: 1, selected: true, amount: '' },
      { lineNo: 2, selected: true, amount: '-3' },
      { lineNo: 3, selected: true, amount: '1.5' },
    ]);
    expect(built.ok).toBe(false);
    expect(!built.ok && Object.keys(built.errors)).toEqual(['1', '2']);
  });
});

describe('csvFilename', () => {
  it('makes a statement id a portable file name', () => {
    expect(csvFilename('2026-01-01T00:00:00.000Z/ab-rhein~ab-albion')).toBe(
      'federa-statement-2026-01-01T00-00-00Z-ab-rhein-ab-albion.csv',
    );
    expect(csvFilename('../../etc/passwd')).toBe('federa-statement-etc-passwd.csv');
  });
});
