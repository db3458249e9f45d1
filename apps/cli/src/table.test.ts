import { describe, expect, it } from 'vitest';
import { cellText, formatRecord, formatTable, truncate } from './table';

describe('formatTable', () => {
  it('pads every column to its widest cell, with a rule under the header', () => {
    const out = formatTable(
      ['SITE', 'STATUS'],
      [
        ['rhein-fra', 'active'],
        ['lumiere-par', 'draining'],
      ],
    );
    expect(out.split('\n')).toEqual([
      'SITE         STATUS',
      '-----------  --------',
      'rhein-fra    active',
      'lumiere-par  draining',
    ]);
  });

  it('right-aligns all-number columns and left-aligns the rest', () => {
    const out = formatTable(
      ['SITE', 'LOAD', 'PRICE'],
      [
        ['a', 0.5, 480000],
        ['bb', 12, 90],
      ],
    );
    expect(out.split('\n')).toEqual([
      'SITE  LOAD   PRICE',
      '----  ----  ------',
      'a      0.5  480000',
      'bb      12      90',
    ]);
  });

  it('shows missing values as "-" and keeps a mostly-numeric column right-aligned', () => {
    const out = formatTable(
      ['ID', 'RTT MS', 'HOME'],
      [
        ['x', null, true],
        ['y', 7.25, false],
      ],
    );
    expect(out.split('\n')).toEqual([
      'ID  RTT MS  HOME',
      '--  ------  ----',
      'x        -  yes',
      'y     7.25  no',
    ]);
  });

  it('treats a column mixing text and numbers as text', () => {
    const out = formatTable(
      ['K', 'V'],
      [
        ['a', 1],
        ['b', 'open'],
      ],
    );
    expect(out.split('\n').slice(2)).toEqual(['a  1', 'b  open']);
  });

  it('prints only the header and rule for no rows', () => {
    expect(formatTable(['SITE', 'STATUS'], [])).toBe('SITE  STATUS\n----  ------');
  });

  it('never leaves trailing spaces', () => {
    const out = formatTable(['A', 'NOTE'], [['longer-value', '']]);
    for (const line of out.split('\n')) expect(line).toBe(line.trimEnd());
  });
});

describe('formatRecord', () => {
  it('aligns values after the longest key', () => {
    expect(
      formatRecord([
        ['version', 3],
        ['maxFailoverAttempts', 2],
        ['preferHome', undefined],
      ]),
    ).toBe('version              3\nmaxFailoverAttempts  2\npreferHome           -');
  });
});

describe('cells', () => {
  it('renders booleans as yes/no and empties as "-"', () => {
    expect([true, false, null, undefined, '', 0].map(cellText)).toEqual(['yes', 'no', '-', '-', '-', '0']);
  });

  it('truncates with an ellipsis within the width', () => {
    expect(truncate('{"status":"active"}', 10)).toBe('{"status"…');
    expect(truncate('short', 10)).toBe('short');
  });
});
