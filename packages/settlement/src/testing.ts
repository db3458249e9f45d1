/**
 * Fixtures for tests of the settlement and of its users (`@federa/settlement/testing`; the apps' code
 * never imports it): a statement payload without lines, overridden with what a test is about.
 */
import type { StatementPayload } from './statement';

export function emptyStatement(overrides: Partial<StatementPayload> = {}): StatementPayload {
  return {
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
    lines: [],
    owed: [],
    net: { payer: 'rhein', payee: 'lumiere', amount: 1200 },
    ...overrides,
  };
}
