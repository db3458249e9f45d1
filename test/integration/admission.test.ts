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
});
