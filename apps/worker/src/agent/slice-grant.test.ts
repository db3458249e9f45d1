import { describe, expect, it } from 'vitest';
import type { GrantAnswer } from '@federa/workflows';
import { GRANT_UNANSWERED, SliceGrant, boundedAsk, lowWaterMark } from './slice-grant';

/** A workflow stand-in: grants slices while its budget lasts, answering when the test says so. */
function workflow(budgetTokens: number, first: number) {
  let granted = first;
  const asked: { seq: number; tokens: number }[] = [];
  const waiting: (() => void)[] = [];
  const ask = (seq: number, tokens: number): Promise<GrantAnswer> => {
    asked.push({ seq, tokens });
    return new Promise((resolve) =>
      waiting.push(() => {
        if (granted + tokens > budgetTokens)
          return resolve({ grantedTokens: granted, refused: 'BUDGET_EXCEEDED' });
        granted += tokens;
        resolve({ grantedTokens: granted });
      }),
    );
  };
  return { ask, asked, answerAll: () => waiting.splice(0).forEach((w) => w()) };
}

describe('slice grants at the site agent', () => {
  it('puts the low-water mark at a quarter of a slice, at least one token', () => {
    expect(lowWaterMark(1024)).toBe(256);
    expect(lowWaterMark(10)).toBe(2);
    expect(lowWaterMark(2)).toBe(1);
  });

  it('asks ahead once at the low-water mark, without waiting, and only once at a time', async () => {
    const wf = workflow(1_000, 100);
    const grant = new SliceGrant(100, 1_000, wf.ask);
    grant.askAheadIfLow(74);
    expect(wf.asked).toEqual([]);
    grant.askAheadIfLow(75);
    grant.askAheadIfLow(80);
    expect(wf.asked).toEqual([{ seq: 1, tokens: 100 }]);
    // within the grant: room at once, the answer still pending
    await expect(grant.room(80, 20)).resolves.toBe(20);
    wf.answerAll();
    await expect(grant.room(100, 50)).resolves.toBe(50);
    expect(grant.granted).toBe(200);
  });

  it('never gives room past the grant before the answer; waits for it', async () => {
    const wf = workflow(1_000, 100);
    const grant = new SliceGrant(100, 1_000, wf.ask);
    let room: number | undefined;
    const asked = grant.room(95, 10).then((r) => (room = r));
    await Promise.resolve();
    expect(room).toBeUndefined();
    wf.answerAll();
    await asked;
    expect(room).toBe(10);
  });

  it('stops at the granted total with the refusal code when the budget cannot extend', async () => {
    const wf = workflow(150, 100);
    const grant = new SliceGrant(100, 1_000, wf.ask);
    const asked = grant.room(100, 10);
    wf.answerAll();
    await expect(asked).resolves.toBe(0);
    expect(grant.refused).toBe('BUDGET_EXCEEDED');
    expect(grant.granted).toBe(100);
    await expect(grant.room(90, 20)).resolves.toBe(10);
    expect(wf.asked).toHaveLength(1);
  });

  it('asks for the last slice only up to the ceiling, and never beyond it', async () => {
    const wf = workflow(10_000, 100);
    const grant = new SliceGrant(100, 130, wf.ask);
    const asked = grant.room(100, 50);
    wf.answerAll();
    await expect(asked).resolves.toBe(30);
    expect(wf.asked).toEqual([{ seq: 1, tokens: 30 }]);
    expect(grant.refused).toBeUndefined();
  });

  it('treats a failed ask as exhausted (the relay stops at the grant)', async () => {
    const grant = new SliceGrant(10, 100, () => Promise.reject(new Error('workflow gone')));
    await expect(grant.room(10, 1)).resolves.toBe(0);
    expect(grant.refused).toBe(GRANT_UNANSWERED);
  });

  it('without slices (first = ceiling) never asks', async () => {
    const wf = workflow(10_000, 50);
    const grant = new SliceGrant(50, 50, wf.ask);
    grant.askAheadIfLow(50);
    await expect(grant.room(45, 10)).resolves.toBe(5);
    expect(wf.asked).toEqual([]);
  });
});

describe('a bounded ask', () => {
  it('gives up when the relay ends, so the relay stops at the grant instead of hanging', async () => {
    const relay = new AbortController();
    const never = () => new Promise<GrantAnswer>(() => undefined);
    const grant = new SliceGrant(10, 100, boundedAsk(never, relay.signal));
    const waiting = grant.room(10, 5);
    relay.abort();
    await expect(waiting).resolves.toBe(0);
    expect(grant.refused).toBe(GRANT_UNANSWERED);
  });

  it('passes the answer through when it comes in time', async () => {
    const ask = boundedAsk(
      async (_seq, tokens) => ({ grantedTokens: 10 + tokens }),
      new AbortController().signal,
    );
    await expect(ask(1, 5)).resolves.toEqual({ grantedTokens: 15 });
  });
});
