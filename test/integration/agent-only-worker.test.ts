/**
 * The production-like stack's split: a site agent process that does no control work
 * (FEDERA_CONTROL_WORKER=off, one site) and a control-only worker (FEDERA_SITE_AGENTS=none), each
 * the real apps/worker as its own process, serve a request end to end between them: the control
 * worker runs the request's workflow, the agent-only process is the only one serving the site.
 */
import OpenAI from 'openai';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentLiveness } from '@federa/workflows';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';
import { spawnWorker, type WorkerProcess } from '../support/worker-process';

describe('an agent-only worker process next to a control-only one', () => {
  const s = uniqueSuffix();
  const eu = `${s}-eu`;
  const sto = `${s}-sto`;
  let fed: Federation;
  let control: WorkerProcess;
  let agent: WorkerProcess;
  let agentLog = '';

  beforeAll(async () => {
    // nothing in the test process polls the control queue or hosts an agent: the two children do
    fed = await startFederation(testTopology(s), { workers: 'none' });
    control = spawnWorker(fed, { FEDERA_SITE_AGENTS: 'none' });
    agent = spawnWorker(fed, { FEDERA_CONTROL_WORKER: 'off', FEDERA_SITE_AGENTS: sto });
    agent.proc.stdout?.on('data', (chunk: Buffer) => (agentLog += chunk.toString()));
    await Promise.all([control.ready, agent.ready]);
    const liveness = new AgentLiveness(fed.redis);
    while (!(await liveness.endpoints([sto])).has(sto)) await sleep(50);
  }, 120_000);

  afterAll(async () => {
    await agent?.kill();
    await control?.kill();
    await fed?.close();
  });

  it('the agent-only process runs its site agent and no control workers', () => {
    const running = agentLog.split('\n').find((line) => line.includes('federa worker running'));
    expect(JSON.parse(running!)).toMatchObject({ controlWorker: false, workers: 0, siteAgents: [sto] });
  });

  it('serves a request for its site end to end: one usage record, billed', async () => {
    const client = new OpenAI({
      apiKey: await fed.token('tenant', eu),
      baseURL: `${fed.api.url}/v1`,
      maxRetries: 0,
    });
    const usageBefore = await fed.ledger.usageCount(eu);
    const { data, response } = await client.chat.completions
      .create(
        { model: TEST_MODEL, messages: [{ role: 'user', content: 'Hello from Stockholm?' }], max_tokens: 12 },
        // SE has one site: only the agent-only process can serve it
        { headers: { 'Idempotency-Key': `${s}-agent-only`, 'X-Federa-Residency': 'SE' } },
      )
      .withResponse();
    expect(response.headers.get('x-federa-site')).toBe(sto);
    expect(data.usage!.completion_tokens).toBe(12);
    expect(fed.emulator(sto).stats().completions).toBeGreaterThanOrEqual(1);
    // the control worker process posts the usage once the request's workflow completes
    while ((await fed.ledger.usageCount(eu)) === usageBefore) await sleep(50);
    expect(await fed.ledger.usageCount(eu)).toBe(usageBefore + 1);
    const [record] = await fed.ledger.listUsage(eu, { limit: 1 });
    expect(record).toMatchObject({ requestId: `${s}-agent-only`, siteId: sto });
  });
});
