import { describe, expect, it } from 'vitest';
import { RequestHandoff } from './handoff';

describe('the in-process hand-off', () => {
  it('hands the admission and then the settlement to the request that waits for them', async () => {
    const handoff = new RequestHandoff<string, number>();
    const waiter = handoff.expect('wf-1');
    handoff.admitted('wf-1', 'admitted');
    expect(await waiter.admitted).toBe('admitted');
    handoff.settled('wf-1', 42);
    expect(await waiter.settled).toBe(42);
    expect(handoff.size).toBe(0);
  });

  it('passes a refusal to both halves and forgets the request', async () => {
    const handoff = new RequestHandoff<string, number>();
    const waiter = handoff.expect('wf-2');
    handoff.refused('wf-2', new Error('BUDGET_EXCEEDED'));
    await expect(waiter.admitted).rejects.toThrow('BUDGET_EXCEEDED');
    await expect(waiter.settled).rejects.toThrow('BUDGET_EXCEEDED');
    expect(handoff.size).toBe(0);
  });

  it('ignores results for requests nobody waits for here (a task run by another process)', () => {
    const handoff = new RequestHandoff<string, number>();
    handoff.admitted('elsewhere', 'x');
    handoff.settled('elsewhere', 1);
    handoff.refused('elsewhere', new Error('no'));
    expect(handoff.size).toBe(0);
  });

  it('forgets a request whose waiter gave up, so the map cannot grow', () => {
    const handoff = new RequestHandoff<string, number>();
    handoff.expect('wf-3');
    handoff.forget('wf-3');
    expect(handoff.size).toBe(0);
  });
});
