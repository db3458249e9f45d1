import { describe, expect, it } from 'vitest';
import { FederaError } from '@federa/domain';
import { observed, type LedgerObserver, type LedgerOperation, type LedgerResult } from './observer';

function recording() {
  const operations: LedgerOperation[] = [];
  const observer: LedgerObserver = {
    operation: (o) => operations.push(o),
    posted: () => undefined,
  };
  return { operations, observer };
}

const fresh = { replay: false };
const retried = { replay: true };
const replayed = (r: { replay: boolean }): LedgerResult => (r.replay ? 'replay' : 'ok');

describe('the ledger observer hook', () => {
  it('reports ok and replay by what the operation answered, with its duration', async () => {
    const { operations, observer } = recording();
    await observed(observer, 'reserve', () => Promise.resolve(fresh), replayed);
    await observed(observer, 'post', () => Promise.resolve(retried), replayed);
    expect(operations.map(({ op, result }) => [op, result])).toEqual([
      ['reserve', 'ok'],
      ['post', 'replay'],
    ]);
    for (const o of operations) expect(o.seconds).toBeGreaterThanOrEqual(0);
  });

  it('a domain refusal is refused with its code; anything else is an error; both still throw', async () => {
    const { operations, observer } = recording();
    const budget = new FederaError('BUDGET_EXCEEDED', 'no');
    await expect(observed(observer, 'reserve', () => Promise.reject(budget), replayed)).rejects.toBe(budget);
    const internal = new FederaError('INTERNAL', 'script fault');
    await expect(observed(observer, 'void', () => Promise.reject(internal), replayed)).rejects.toBe(internal);
    const redisDown = new Error('connection lost');
    await expect(
      observed(
        observer,
        'sweep',
        () => Promise.reject(redisDown),
        () => 'ok',
      ),
    ).rejects.toBe(redisDown);
    expect(operations.map(({ op, result, code }) => [op, result, code])).toEqual([
      ['reserve', 'refused', 'BUDGET_EXCEEDED'],
      ['void', 'error', undefined],
      ['sweep', 'error', undefined],
    ]);
  });

  it('an observer that throws never changes the operation’s answer', async () => {
    const throwing: LedgerObserver = {
      operation: () => {
        throw new Error('metrics broke');
      },
      posted: () => undefined,
    };
    await expect(observed(throwing, 'post', () => Promise.resolve(fresh), replayed)).resolves.toBe(fresh);
  });

  it('without an observer the operation runs as is', async () => {
    await expect(observed(undefined, 'extend', () => Promise.resolve(retried), replayed)).resolves.toBe(
      retried,
    );
  });
});
