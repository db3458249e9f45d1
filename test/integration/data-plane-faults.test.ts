/**
 * The data plane when a process dies mid-stream: a site agent killed while it relays. The request's
 * workflow stops waiting for the report after the dispatch budget and bills from the site's own
 * usage meter: one record, flagged, never lost and never counted twice.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentLiveness, requestWorkflowId } from '@federa/workflows';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';
import { spawnWorker, type WorkerProcess } from '../support/worker-process';

describe('a site agent killed mid-stream', () => {
  const s = uniqueSuffix();
  const eu = `${s}-eu`;
  const best = `${s}-sto`;
  let fed: Federation;
  let worker: WorkerProcess;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s), {
      workers: 'none',
      // the agent may take 1.5 s + 1 ms a token; the workflow then waits 0.5 s more for its report
      servedTiming: { dispatchTimeout: { baseMs: 1_500, minTokensPerSecond: 1_000 }, reportGraceMs: 500 },
    });
    worker = spawnWorker(fed);
    await worker.ready;
    const pinned = await fed.call(
      'policy.set',
      { weights: { latency: 0, load: 0, price: 1 }, preferHome: { mode: 'off', marginMs: 0 } },
      await fed.token('admin', 'data-plane-faults'),
    );
    expect(pinned.status).toBe(200);
    const liveness = new AgentLiveness(fed.redis);
    while (!(await liveness.endpoints([best])).has(best)) await sleep(50);
  }, 120_000);
  afterAll(async () => {
    await worker?.kill();
    await fed?.close();
  });

  it('bills from the site meter, flagged AGENT_LOST, with one record and no hold left', async () => {
    fed.emulator(best).configure({ completionTokens: 2_000, tokensPerSecond: 300 });
    const usageBefore = await fed.ledger.usageCount(eu);
    const stream = await fed.dataPlane.serveChat({
      tenantId: eu,
      requestId: 'dp-agent-killed',
      model: TEST_MODEL,
      messages: [{ role: 'user', content: 'Tell me a long story.' }],
      maxTokens: 2_000,
      sampling: {},
      signal: new AbortController().signal,
    });
    expect(stream.admission.siteId).toBe(best);
    const iterator = stream.deltas[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    await worker.kill('SIGKILL');
    // the relay breaks off: the stream ends with an error, the outcome says the agent is gone
    await expect(
      (async () => {
        while (!(await iterator.next()).done);
      })(),
    ).rejects.toThrow();
    await expect(stream.outcome).rejects.toThrow(/stopped mid-stream/);

    const result = (await fed.temporal.workflow
      .getHandle(requestWorkflowId(eu, 'dp-agent-killed'))
      .result()) as { flags: string[]; usage: { outputTokens: number } };
    expect(result.flags).toEqual(expect.arrayContaining(['AGENT_LOST', 'SITE_METERED']));
    const meter = await fetch(
      `${fed.emulator(best).url}/v1/usage/${(await import('@federa/workflows')).siteIdempotencyKey(eu, 'dp-agent-killed')}`,
    ).then((r) => r.json() as Promise<{ state: string; completion_tokens: number }>);
    expect(meter.state).toBe('cancelled');
    expect(result.usage.outputTokens).toBe(meter.completion_tokens);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(await fed.ledger.usageCount(eu)).toBe(usageBefore + 1);
    expect((await fed.ledger.account(eu)).pending).toBe(0);
  });
});
