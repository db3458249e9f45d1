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

  it('keeps the first caller’s hand-off when the same id is expected and forgotten by a duplicate', async () => {
    const handoff = new RequestHandoff<string, number>();
    const first = handoff.expect('wf-4');
    // the same request id again, at once: its start is refused and it gives up
    handoff.expect('wf-4');
    handoff.forget('wf-4');
    handoff.admitted('wf-4', 'admitted');
    expect(await first.admitted).toBe('admitted');
    handoff.settled('wf-4', 7);
    expect(await first.settled).toBe(7);
    expect(handoff.size).toBe(0);
  });

  it('forgets an id once its first caller gives up too', () => {
    const handoff = new RequestHandoff<string, number>();
    handoff.expect('wf-5');
    handoff.expect('wf-5');
    handoff.forget('wf-5');
    expect(handoff.size).toBe(1);
    handoff.forget('wf-5');
    expect(handoff.size).toBe(0);
  });
});
