import { describe, expect, it } from 'vitest';
import { creditNoteFor, creditNoteIdOf, creditNoteOfResolution, sameCreditNote } from './credit-note';
import { ISSUED, resolveWithCreditNote } from './lifecycle';
import type { StatementPayload } from './statement';
import type { Lifecycle } from './store';

// only the fields a credit note takes from its statement
const statement = {
  statementId: '2026-11@Europe/Paris/albion~rhein',
  federation: 'test',
  period: { id: '2026-11@Europe/Paris' },
  parties: ['albion', 'rhein'],
  settlementCurrency: 'EUR',
} as unknown as StatementPayload;
const id = creditNoteIdOf(statement.statementId);
const disputed: Lifecycle = {
  ...ISSUED,
  status: 'disputed',
  dispute: { by: 'albion', at: '2026-12-02T10:00:00.000Z', lines: [] },
};

/** the lifecycle and pending note an admin's resolution writes (the API's path) */
function resolve(creditor: string, debtor: string, amount: number) {
  const adjustment = {
    statementId: statement.statementId,
    originalPeriod: statement.period.id,
    creditor,
    debtor,
    amount,
    currency: 'EUR',
  };
  const at = '2026-12-03T09:00:00.000Z';
  const decided = resolveWithCreditNote(
    adjustment,
    { by: 'admin@federation', at },
    creditNoteFor(statement, adjustment, 'admin@federation', at),
  )(disputed)!;
  return { lifecycle: decided.next, pending: decided.creditNote! };
}

describe('the credit note a resolution calls for (rebuilt before signing)', () => {
  it('is exactly the note the resolution left pending, either way round', () => {
    for (const [creditor, debtor] of [
      ['albion', 'rhein'],
      ['rhein', 'albion'],
    ] as const) {
      const { lifecycle, pending } = resolve(creditor, debtor, 120_000);
      const rebuilt = creditNoteOfResolution(statement, lifecycle, id);
      expect(rebuilt).toEqual({ note: pending });
      expect('note' in rebuilt && sameCreditNote(rebuilt.note, pending)).toBe(true);
    }
  });

  it('differs from a pending payload with any field changed', () => {
    const { lifecycle, pending } = resolve('albion', 'rhein', 120_000);
    const rebuilt = creditNoteOfResolution(statement, lifecycle, id);
    if (!('note' in rebuilt)) throw new Error('expected a note');
    for (const changed of [
      { ...pending, amount: 120_001 },
      { ...pending, creditor: 'rhein', debtor: 'albion' },
      { ...pending, currency: 'SEK' },
      { ...pending, dispute: { ...pending.dispute, by: 'rhein' } },
      { ...pending, memo: 'a field no resolution writes' },
    ])
      expect(sameCreditNote(rebuilt.note, changed)).toBe(false);
  });

  it('is the same note whatever order its fields were written in', () => {
    const { lifecycle, pending } = resolve('albion', 'rhein', 120_000);
    const rebuilt = creditNoteOfResolution(statement, lifecycle, id);
    if (!('note' in rebuilt)) throw new Error('expected a note');
    const reordered = Object.fromEntries(Object.entries(pending).reverse()) as typeof pending;
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(pending));
    expect(sameCreditNote(rebuilt.note, reordered)).toBe(true);
  });

  it('refuses what no resolution of this statement calls for', () => {
    const { lifecycle } = resolve('albion', 'rhein', 120_000);
    const refusal = (l: Lifecycle | null, noteId = id) => {
      const r = creditNoteOfResolution(statement, l, noteId);
      return 'refused' in r ? r.refused : 'signed';
    };
    expect(refusal(lifecycle, creditNoteIdOf('2026-10@Europe/Paris/albion~rhein'))).toMatch(
      /not the credit note/,
    );
    expect(refusal(null)).toMatch(/no resolution/);
    expect(refusal(disputed)).toMatch(/no resolution/);
    expect(
      refusal({ ...lifecycle, resolution: { ...lifecycle.resolution!, creditNoteId: undefined } }),
    ).toMatch(/no resolution/);
    expect(refusal({ ...lifecycle, dispute: null })).toMatch(/no dispute/);
    expect(refusal({ ...lifecycle, resolution: { ...lifecycle.resolution!, creditor: 'pacific' } })).toMatch(
      /two parties/,
    );
    expect(refusal({ ...lifecycle, resolution: { ...lifecycle.resolution!, debtor: 'albion' } })).toMatch(
      /two parties/,
    );
    expect(refusal({ ...lifecycle, resolution: { ...lifecycle.resolution!, amount: -5 } })).toMatch(
      /non-negative/,
    );
    expect(refusal({ ...lifecycle, resolution: { ...lifecycle.resolution!, amount: 1.5 } })).toMatch(
      /non-negative/,
    );
  });
});
