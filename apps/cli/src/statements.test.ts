import { describe, expect, it } from 'vitest';
import { generateClearingKey, signStatement } from '@federa/settlement';
import { UsageError } from './client';
import { parseLineClaims, renderRun, verifyOffline } from './statements';
import { emptyStatement } from '@federa/settlement/testing';

const payload = emptyStatement();

describe('verifyOffline', () => {
  it('accepts a statement signed with a key in the JWKS and shows who pays whom', async () => {
    const key = await generateClearingKey('k1');
    const out = await verifyOffline(await signStatement(payload, key.privateJwk), { keys: [key.publicJwk] });
    expect(out.failed).toBeUndefined();
    expect(out.text).toContain('signature valid (kid k1)');
    expect(out.text).toContain('rhein pays lumiere 1200 EUR');
  });

  it('fails on a tampered payload and on a key outside the JWKS', async () => {
    const key = await generateClearingKey('k1');
    const other = await generateClearingKey('k1');
    const jws = await signStatement(payload, key.privateJwk);
    const [head, , sig] = jws.split('.');
    // a payload that claims less, under the original signature
    const forged = await signStatement({ ...payload, net: { ...payload.net, amount: 1 } }, key.privateJwk);
    const tampered = [head, forged.split('.')[1], sig].join('.');
    const cases: [string, Parameters<typeof verifyOffline>[1]][] = [
      [tampered, { keys: [key.publicJwk] }],
      [jws, { keys: [other.publicJwk] }],
    ];
    for (const [candidate, jwks] of cases) {
      const out = await verifyOffline(candidate, jwks);
      expect(out.failed).toBe(true);
      expect(out.text).toMatch(/^signature INVALID: /);
    }
  });
});

describe('parseLineClaims', () => {
  it('reads N=AMOUNT pairs in order', () => {
    expect(parseLineClaims(['1=100', '3=0'])).toEqual([
      { lineNo: 1, amount: 100 },
      { lineNo: 3, amount: 0 },
    ]);
  });

  it('refuses no claims, malformed ones, line 0 and a line given twice', () => {
    for (const specs of [[], ['1:100'], ['1=-5'], ['0=10'], ['2=1', '2=3'], ['1=1.5']]) {
      expect(() => parseLineClaims(specs)).toThrow(UsageError);
    }
  });
});

describe('renderRun', () => {
  it('tables the settled periods, and falls back to JSON for an unknown shape', () => {
    const text = renderRun([
      { periodId: 'P', statementIds: ['a', 'b'], records: 3, lateRecords: 0, alreadySettled: false },
    ]);
    expect(text.split('\n')[2]).toMatch(/^P\s+3\s+0\s+no\s+a, b$/);
    expect(renderRun({ odd: true })).toBe('{\n  "odd": true\n}');
  });
});
