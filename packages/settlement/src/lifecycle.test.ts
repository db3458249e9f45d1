import { describe, expect, it } from 'vitest';
import { ISSUED, acceptBy, disputeBy, resolveWith } from './lifecycle';
import type { Lifecycle } from './store';

const dispute = { by: 'b', at: '2030-01-01T00:00:00.000Z', lines: [] };
const adjustment = { statementId: 's', originalPeriod: 'p', creditor: 'a', debtor: 'b', amount: 5 };
const resolution = { by: 'admin', at: '2030-01-02T00:00:00.000Z', targetPeriod: 'q' };
const state = (over: Partial<Lifecycle>): Lifecycle => ({ ...ISSUED, ...over });

describe('statement lifecycle rules', () => {
  it('accepts once per party and completes with both', () => {
    const one = acceptBy('b')(ISSUED)!.next;
    expect(one).toMatchObject({ status: 'issued', acceptedBy: ['b'] });
    expect(acceptBy('b')(one)).toBeNull(); // replay: no change
    expect(acceptBy('a')(one)!.next).toMatchObject({ status: 'accepted', acceptedBy: ['a', 'b'] });
  });

  it('refuses to accept a disputed or resolved statement', () => {
    for (const status of ['disputed', 'resolved'] as const)
      expect(() => acceptBy('a')(state({ status }))).toThrow(
        expect.objectContaining({ code: 'STATEMENT_STATE' }),
      );
  });

  it('lets a party dispute only an open statement it has not accepted', () => {
    expect(disputeBy('b', dispute)(ISSUED)!.next).toMatchObject({ status: 'disputed', dispute });
    expect(disputeBy('a', dispute)(state({ acceptedBy: ['b'] }))!.next.status).toBe('disputed');
    const refused = [
      state({ acceptedBy: ['b'] }),
      state({ status: 'accepted' }),
      state({ status: 'disputed' }),
    ];
    for (const s of refused)
      expect(() => disputeBy('b', dispute)(s)).toThrow(expect.objectContaining({ code: 'STATEMENT_STATE' }));
  });

  it('resolves only a disputed statement, carrying the adjustment to write with it', () => {
    const decided = resolveWith(adjustment, resolution)(state({ status: 'disputed', dispute }))!;
    expect(decided.next).toMatchObject({ status: 'resolved', resolution: { ...adjustment, ...resolution } });
    expect(decided.adjustment).toEqual({ targetPeriod: 'q', adjustment });
    expect(() => resolveWith(adjustment, resolution)(ISSUED)).toThrow(
      expect.objectContaining({ code: 'STATEMENT_STATE' }),
    );
  });
});
