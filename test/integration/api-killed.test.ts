/**
 * The data plane when the API dies mid-stream. The API runs as its own process (apps/api's main,
 * as `npm start` runs it) and is SIGKILLed while it relays a stream to the official `openai` client;
 * the site agent sees its client go away, stops the site and still reports to the request's
 * workflow, whose next task a control worker of another process (apps/worker, polling the served
 * queue) runs once the dead API's sticky queue times out (FEDERA_API_STICKY_TIMEOUT_MS). One record, flagged CLIENT_DISCONNECT,
 * billed what was relayed, and no hold left.
 */
import OpenAI from 'openai';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countTextTokens } from '@federa/tokenizer';
import { AgentLiveness, requestWorkflowId, siteIdempotencyKey } from '@federa/workflows';
import { spawnApi, type ApiProcess } from '../support/api-process';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';
import { spawnWorker, type WorkerProcess } from '../support/worker-process';

describe('the API killed mid-stream', () => {
  const s = uniqueSuffix();
  const eu = `${s}-eu`;
  const sto = `${s}-sto`;
  let fed: Federation;
  let worker: WorkerProcess;
  let api: ApiProcess;
  let apiUrl: string;

  beforeAll(async () => {
    // no data plane in the test process: only the API child and the worker child poll the served queue
    fed = await startFederation(testTopology(s), { workers: 'none', dataPlane: 'none' });
    worker = spawnWorker(fed);
    // the dead API's sticky queue holds the workflow's next task this long (10 s by default, measured
    // ~11 s from kill to record) before the worker process's served worker takes it
    api = spawnApi(fed, { FEDERA_API_STICKY_TIMEOUT_MS: '2000' });
    await worker.ready;
    apiUrl = await api.ready;
    const liveness = new AgentLiveness(fed.redis);
    while (!(await liveness.endpoints([sto])).has(sto)) await sleep(50);
  }, 120_000);
  afterAll(async () => {
    await api?.kill();
    await worker?.kill();
    await fed?.close();
  });

  it('the agent still reports, the workflow completes elsewhere: one record, CLIENT_DISCONNECT, no hold left', async () => {
    // a slow, long generation: the kill lands while the site is still streaming
    fed.emulator(sto).configure({ completionTokens: 2_000, tokensPerSecond: 200 });
    const client = new OpenAI({
      apiKey: await fed.token('tenant', eu),
      baseURL: `${apiUrl}/v1`,
      maxRetries: 0,
    });
    const requestId = 'api-killed';
    const before = await fed.ledger.account(eu);
    const usageBefore = await fed.ledger.usageCount(eu);

    const stream = await client.chat.completions.create(
      {
        model: TEST_MODEL,
        messages: [{ role: 'user', content: 'Tell me a long story about the sea.' }],
        max_tokens: 2_000,
        stream: true,
      },
      // SE has one site: the request is served by the Stockholm emulator through its agent
      { headers: { 'Idempotency-Key': requestId, 'X-Federa-Residency': 'SE' } },
    );
    let received = '';
    let pieces = 0;
    let killedAt = 0;
    const ended = await (async () => {
      for await (const chunk of stream) {
        const content = chunk.choices[0]?.delta.content;
        if (!content) continue;
        received += content;
        if (++pieces === 10) {
          await api.kill('SIGKILL');
          killedAt = performance.now();
        }
      }
      return 'ended normally';
    })().catch((err: unknown) => err);
    expect(ended).toBeInstanceOf(Error); // the connection died with the API
    expect(killedAt).toBeGreaterThan(0);

    const result = (await fed.temporal.workflow.getHandle(requestWorkflowId(eu, requestId)).result()) as {
      recordId: string;
      flags: string[];
      usage: { inputTokens: number; outputTokens: number };
      charge: { amount: number };
    };
    // how long the dead API's sticky queue held the workflow's next task before another worker took it
    console.info(
      `[api-killed] workflow completed ${Math.round(performance.now() - killedAt)} ms after the kill`,
    );

    expect(await fed.ledger.usageCount(eu)).toBe(usageBefore + 1);
    const [record] = await fed.ledger.listUsage(eu, { limit: 1 });
    expect(record).toMatchObject({ requestId, recordId: result.recordId, siteId: sto });
    expect(record!.flags).toContain('CLIENT_DISCONNECT');
    expect(record!.flags).not.toContain('AGENT_LOST');
    // the stream broke off before the site's usage chunk: no site figure, so nothing disputed
    expect(record!.flags).not.toContain('SITE_USAGE_DISPUTED');

    // billed: input, plus what was relayed before the kill, plus what was in flight — never more
    // than the site sent before it was stopped, and far from the whole generation
    const meter = (await fetch(`${fed.emulator(sto).url}/v1/usage/${siteIdempotencyKey(eu, requestId)}`).then(
      (r) => r.json(),
    )) as { state: string; prompt_tokens: number; completion_tokens: number };
    expect(meter.state).toBe('cancelled');
    expect(record!.inputTokens).toBe(meter.prompt_tokens);
    expect(record!.outputTokens).toBeGreaterThanOrEqual(countTextTokens(received));
    expect(record!.outputTokens).toBeLessThanOrEqual(meter.completion_tokens);
    expect(meter.completion_tokens).toBeLessThan(2_000);

    // the budget: spent grew by exactly the record's charge, and no hold is left
    const after = await fed.ledger.account(eu);
    expect(after.pending).toBe(0);
    expect(after.posted - before.posted).toBe(record!.retailCharge);
    expect(result.charge.amount).toBe(record!.retailCharge);
  });
});
