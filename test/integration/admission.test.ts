/**
 * The admission queue through the real API (issue 8, item 6): a request whose client left while
 * it waited is never dispatched and never charged (no workflow starts), and a request that waited
 * past the queue's deadline gets OVERLOADED with Retry-After.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestWorkflowId } from '@federa/workflows';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { testTopology } from '../support/topology';

const WAIT_DEADLINE_MS = 1_500;

/** Polls until `check` holds (a state to reach, not a timing). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('admission queue', () => {
  const s = uniqueSuffix();
  const busy = `${s}-any`;
  const waiting = `${s}-eu`;
  let fed: Federation;

  beforeAll(async () => {
    // one request at a time, and each takes a few seconds at the site: the next one queues
    fed = await startFederation(testTopology(s), {
      maxInFlight: 1,
      maxQueued: 10,
      admission: { maxWaitMs: WAIT_DEADLINE_MS, maxQueuedPerTenant: 5 },
      behaviour: { ttftMs: 4_000 },
    });
  });
  afterAll(async () => fed?.close());

  /** A request that holds the only slot for a few seconds. */
  async function occupy(id: string) {
    const res = fed.call('inference.complete', chat(id, { max_tokens: 8 }), await fed.token('tenant', busy));
    // it is dispatched (in flight) before the test goes on
    await new Promise((resolve) => setTimeout(resolve, 500));
    return { done: res };
  }

  it('never dispatches nor charges a request whose client left while it was queued', async () => {
    const before = await fed.ledger.account(waiting);
    const completions = fed.totalCompletions();
    const blocker = await occupy(`blocker-1-${s}`);

    const client = new AbortController();
    const requestId = `deserted-${s}`;
    const deserted = fetch(`${fed.api.url}/trpc/inference.complete`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await fed.token('tenant', waiting)}`,
      },
      body: JSON.stringify(chat(requestId, { max_tokens: 8 })),
      signal: client.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    client.abort();
    await expect(deserted).rejects.toThrow();

    expect((await blocker.done).status).toBe(200);
    // only the blocker was served
    expect(fed.totalCompletions()).toBe(completions + 1);
    const after = await fed.ledger.account(waiting);
    expect(after).toEqual(before);
    expect(after.pending).toBe(0);
    const handle = fed.temporal.workflow.getHandle(requestWorkflowId(waiting, requestId));
    await expect(handle.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('refuses a request that waited past the deadline with OVERLOADED and Retry-After', async () => {
    const blocker = await occupy(`blocker-2-${s}`);
    const requestId = `late-${s}`;
    const late = await fed.call(
      'inference.complete',
      chat(requestId, { max_tokens: 8 }),
      await fed.token('tenant', waiting),
    );
    expect(late.status).toBe(429);
    expect(late.body.error.data.federaCode).toBe('OVERLOADED');
    expect(late.headers.get('retry-after')).toBe('1');
    expect((await blocker.done).status).toBe(200);
    const handle = fed.temporal.workflow.getHandle(requestWorkflowId(waiting, requestId));
    await expect(handle.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('ends the workflow of a request whose client left after dispatch: its hold is voided', async () => {
    const tenant = `${s}-fr`;
    const before = await fed.ledger.account(tenant);
    const requestId = `left-${s}`;
    const client = new AbortController();
    const leaving = fetch(`${fed.api.url}/trpc/inference.complete`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await fed.token('tenant', tenant)}`,
      },
      body: JSON.stringify(chat(requestId, { max_tokens: 8 })),
      signal: client.signal,
    });
    // its workflow holds the cost and waits on the (slow) site
    await until(async () => (await fed.ledger.account(tenant)).pending > 0);
    client.abort();
    await expect(leaving).rejects.toThrow();

    const handle = fed.temporal.workflow.getHandle(requestWorkflowId(tenant, requestId));
    await until(async () => (await handle.describe()).status.name !== 'RUNNING');
    // the data plane tells the workflow nothing was served (the client left before the first
    // byte): it voids the hold and fails, so the id may be used again
    expect((await handle.describe()).status.name).toBe('FAILED');
    expect((await fed.ledger.hold(tenant, requestId))?.state).toBe('voided');
    const records = await fed.ledger.listUsage(tenant, { limit: 100 });
    expect(records.filter((r) => r.requestId === requestId)).toEqual([]);
    const after = await fed.ledger.account(tenant);
    expect(after.pending).toBe(0);
    expect(after.posted).toBe(before.posted);
  });
});

describe('admission fairness', () => {
  const s = uniqueSuffix();
  const flooder = `${s}-any`;
  const quiet = `${s}-eu`;
  let fed: Federation;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s), {
      maxInFlight: 1,
      maxQueued: 100,
      admission: { maxQueuedPerTenant: 2, maxWaitMs: 60_000 },
      behaviour: { ttftMs: 1_000 },
    });
  });
  afterAll(async () => fed?.close());

  it('one tenant flooding the queue cannot starve another', async () => {
    const floodToken = await fed.token('tenant', flooder);
    // the flood: one runs, two queue (the tenant's cap), the rest are refused at once
    const finishedAt: number[] = [];
    const flood = Array.from({ length: 8 }, (_, i) =>
      fed.call('inference.complete', chat(`flood-${i}-${s}`, { max_tokens: 8 }), floodToken).then((r) => {
        if (r.status === 200) finishedAt.push(performance.now());
        return r;
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const mine = await fed.call(
      'inference.complete',
      chat(`quiet-${s}`, { max_tokens: 8 }),
      await fed.token('tenant', quiet),
    );
    const mineAt = performance.now();
    expect(mine.status).toBe(200);
    const codes = (await Promise.all(flood)).map((r) =>
      r.status === 200 ? 'OK' : r.body.error.data.federaCode,
    );
    expect(codes.filter((c) => c === 'OK')).toHaveLength(3);
    expect(codes.filter((c) => c === 'OVERLOADED')).toHaveLength(5);
    // round-robin: the quiet tenant waited for at most the running flood request and one queued
    // before it, not for the whole flood
    expect(finishedAt.filter((t) => t < mineAt).length).toBeLessThanOrEqual(2);
    expect(fed.totalCompletions()).toBe(4);
  }, 120_000);
});
