import { describe, expect, it } from 'vitest';
import { renderStatement, renderStatementList } from './render-statements';

type Got = Parameters<typeof renderStatement>[0];
/** as the API answers (the router output type) */
const v1: Got['statement'] = {
  type: 'federa.settlement.statement',
  version: 1,
  statementId: '2030-01-01T00:00:00.000Z/lumiere~rhein',
  federation: 'eu',
  period: {
    id: '2030-01-01T00:00:00.000Z',
    start: '2030-01-01T00:00:00.000Z',
    end: '2030-01-02T00:00:00.000Z',
  },
  closedAt: '2030-01-02T00:15:00.000Z',
  settlementCurrency: 'EUR',
  parties: ['lumiere', 'rhein'],
  lines: [
    {
      lineNo: 1,
      kind: 'usage',
      creditor: 'lumiere',
      debtor: 'rhein',
      model: 'm',
      originalPeriod: null,
      reference: null,
      records: 2,
      inputTokens: 1,
      outputTokens: 1,
      amount: 1_500_000_000,
      currency: 'JPY',
      fx: { rate: '0.006125', rateMicros: 6125, effectiveFrom: '2029-12-31T00:00:00.000Z' },
      settledAmount: 9_190_000,
      merkleRoot: '00',
    },
  ],
  owed: [],
  net: { payer: 'rhein', payee: 'lumiere', amount: 9_190_000 },
};
const v2: Got['statement'] = {
  ...v1,
  version: 2,
  lines: [{ ...v1.lines[0]!, fx: { ...v1.lines[0]!.fx, source: 'ECB' } }],
  netInPayeeCurrency: {
    currency: 'JPY',
    amount: 1_500_000_000,
    fx: {
      rate: '163.270000',
      rateMicros: 163_270_000,
      source: 'ECB',
      effectiveFrom: '2029-12-31T00:00:00.000Z',
    },
  },
  disputeDeadline: '2030-02-01T00:15:00.000Z',
};
const lifecycle = { status: 'issued' as const, acceptedBy: [], dispute: null, resolution: null };

describe('statement rendering', () => {
  it('shows a version-2 statement’s deadline, finality, payee net and each rate’s source', () => {
    const text = renderStatement({
      statementId: v2.statementId,
      jws: 'x',
      statement: v2,
      lifecycle,
      disputeDeadline: v2.disputeDeadline!,
      final: true,
      creditNote: null,
    });
    expect(text).toMatch(/dispute deadline\s+2030-02-01T00:15:00.000Z/);
    expect(text).toMatch(/final\s+yes|final\s+true/);
    expect(text).toContain('1500000000 JPY (rate 163.270000, ECB, from 2029-12-31T00:00:00.000Z)');
    expect(text).toMatch(/0\.006125\s+ECB\s+2029-12-31T00:00:00.000Z\s+9190000/);
  });

  it('still renders a version-1 statement (no deadline, no payee net, no rate source)', () => {
    const text = renderStatement({
      statementId: v1.statementId,
      jws: 'x',
      statement: v1,
      lifecycle,
      disputeDeadline: null,
      final: false,
      creditNote: null,
    });
    expect(text).not.toContain('dispute deadline');
    expect(text).not.toContain('net for payee');
    expect(text).toContain('rhein pays lumiere 9190000 EUR');
  });

  it('marks final statements in the list', () => {
    const row = {
      statementId: 'p/a~b',
      period: v1.period,
      parties: v1.parties,
      net: v1.net,
      lines: 1,
      currency: 'EUR',
      status: 'accepted' as const,
      disputeDeadline: '2030-02-01T00:15:00.000Z',
      final: true,
    };
    expect(renderStatementList([row])).toContain('accepted (final)');
  });
});
