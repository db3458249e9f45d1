import { describe, expect, it } from 'vitest';
import { servedForOthers, type TrafficLine, type TrafficStatement } from './traffic-aggregate';

const line = (over: Partial<TrafficLine>): TrafficLine => ({
  kind: 'usage',
  creditor: 'rhein',
  debtor: 'albion',
  model: 'm1',
  originalPeriod: null,
  records: 1,
  inputTokens: 10,
  outputTokens: 20,
  settledAmount: 100,
  ...over,
});
const statement = (period: string, lines: TrafficLine[], currency = 'EUR'): TrafficStatement => ({
  statementId: `${period}/x`,
  period: { id: period },
  settlementCurrency: currency,
  lines,
});

describe('servedForOthers', () => {
  it('counts only lines where the operator served (creditor) another operator’s tenants', () => {
    const report = servedForOthers('rhein', [
      statement('2026-01-01', [
        line({ records: 3, settledAmount: 300 }),
        line({ creditor: 'albion', debtor: 'rhein', records: 7 }),
        line({ kind: 'dispute-adjustment', records: 0, settledAmount: 999 }),
      ]),
    ]);
    expect(report.total).toEqual({ requests: 3, inputTokens: 10, outputTokens: 20, amount: 300 });
    expect(report.rows).toHaveLength(1);
    expect(report.homeOperators).toEqual(['albion']);
  });

  it('aggregates per home operator, period and model; late usage counts in its own period', () => {
    const report = servedForOthers('rhein', [
      statement('2026-01-01', [line({ records: 2 }), line({ model: 'm2', records: 1 })]),
      statement('2026-01-02', [
        line({ debtor: 'pacific', records: 4 }),
        line({ kind: 'late-usage', originalPeriod: '2026-01-01', records: 5 }),
      ]),
    ]);
    expect(report.rows.map((r) => [r.period, r.homeOperator, r.model, r.requests])).toEqual([
      ['2026-01-02', 'pacific', 'm1', 4],
      ['2026-01-01', 'albion', 'm1', 7],
      ['2026-01-01', 'albion', 'm2', 1],
    ]);
    expect(report.byPeriod).toEqual([
      { period: '2026-01-01', albion: 8, pacific: 0 },
      { period: '2026-01-02', albion: 0, pacific: 4 },
    ]);
    expect(report.byPartner.map((p) => [p.homeOperator, p.requests, p.amount])).toEqual([
      ['albion', 8, 300],
      ['pacific', 4, 100],
    ]);
  });

  it('keeps amounts of different settlement currencies apart', () => {
    const report = servedForOthers('rhein', [
      statement('2026-01-01', [line({ settledAmount: 100 })], 'EUR'),
      statement('2026-01-02', [line({ settledAmount: 50 })], 'GBP'),
    ]);
    expect(report.currencies).toEqual(['EUR', 'GBP']);
    expect(report.byPartner.map((p) => [p.currency, p.amount])).toEqual([
      ['EUR', 100],
      ['GBP', 50],
    ]);
  });

  it('is empty when the operator served nobody else', () => {
    const report = servedForOthers('rhein', [
      statement('p', [line({ creditor: 'albion', debtor: 'rhein' })]),
    ]);
    expect(report).toMatchObject({ rows: [], byPeriod: [], homeOperators: [], total: { requests: 0 } });
  });
});
