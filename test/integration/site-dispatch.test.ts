/**
 * What the site agent sends to and accepts from a site: a timeout sized from the request (and not
 * held against a healthy site when the request's size explains it), an idempotency key that is
 * the tenant's own, no site text in history or API errors, and a cap on the size of an answer.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HEALTH_KEY, SiteHealth, requestWorkflowId } from '@federa/workflows';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { testTopology } from '../support/topology';

/** Every string and byte string in a value (e.g. a workflow history), decoded. */
function texts(value: unknown, out: string[] = []): string[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) texts(v, out);
  return out;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('dispatching to a site', () => {
  const s = uniqueSuffix();
  const fr = `${s}-fr`; // France only: every request goes to the one Paris site
  const eu = `${s}-eu`;
  const paris = `${s}-par`;
  let fed: Federation;
  let health: SiteHealth;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s), {
      // stands in for the old fixed site timeout; the sizing adds max_tokens at 40 tokens/s
      siteRequestTimeoutMs: 2000,
      siteMinTokensPerSecond: 40,
      siteMaxResponseBytes: 4096,
      // the same budget for the data plane's agents (the served workflow sizes it)
      servedTiming: { dispatchTimeout: { baseMs: 2000, minTokensPerSecond: 40 } },
    });
    health = new SiteHealth(fed.redis);
  });
  afterAll(async () => fed?.close());
  // each test starts with the Paris site's circuit closed and no failures counted
  beforeEach(async () => {
    await fed.redis.hdel(HEALTH_KEY, paris);
  });

  async function complete(tenant: string, body: Record<string, unknown>) {
    return fed.call('inference.complete', body, await fed.token('tenant', tenant));
  }

  /**
   * The old Temporal-dispatched request workflow, run directly: nothing starts it any more, but its
   * running histories drain through the dispatch activity these tests cover (the data plane does
   * not yet feed the circuit breaker or cap a site's answer: see docs/request-lifecycle.md).
   */
  async function viaDrainingWorkflow(tenant: string, requestId: string, maxTokens: number) {
    const body = chat(requestId, { max_tokens: maxTokens });
    const handle = await fed.temporal.workflow.start('requestWorkflow', {
      taskQueue: fed.controlTaskQueue,
      workflowId: requestWorkflowId(tenant, requestId),
      args: [{ tenantId: tenant, requestId, model: body.model, messages: body.messages, maxTokens }],
    });
    try {
      await handle.result();
      return { code: 'SERVED', message: '' };
    } catch (err) {
      let cause: unknown = err;
      while (cause && !(cause instanceof ApplicationFailure)) cause = (cause as { cause?: unknown }).cause;
      if (!(cause instanceof ApplicationFailure)) throw err;
      return { code: cause.type ?? '', message: cause.message };
    }
  }

  it('finishes a request whose generation takes longer than the fixed timeout', async () => {
    // 150 tokens at 50 tokens/s: 3 s of generation, over the 2 s allowance (the budget is 5.75 s)
    fed.emulator(paris).configure({ tokensPerSecond: 50, completionTokens: 150 });
    try {
      const res = await complete(fr, chat('long-generation', { max_tokens: 150 }));
      expect(res.status).toBe(200);
      expect(res.body.result.data.usage.outputTokens).toBe(150);
    } finally {
      fed.emulator(paris).configure({ tokensPerSecond: 50_000, completionTokens: 32 });
    }
  });

  it('does not hold a timeout caused by the request size against the site', async () => {
    // slower than the 40 tokens/s floor: 150 tokens take 15 s, the budget is 2 s + 3.75 s
    fed.emulator(paris).configure({ tokensPerSecond: 10, completionTokens: 150 });
    try {
      for (const i of [1, 2, 3]) {
        const failed = await viaDrainingWorkflow(fr, `too-long-${i}`, 150);
        expect(failed.code).toBe('ALL_SITES_FAILED');
        expect(failed.message).toMatch(/SITE_TIMEOUT/);
      }
      const [state] = await health.states([paris]);
      expect(state).toMatchObject({ circuit: 'closed', consecutiveFailures: 0 });
    } finally {
      fed.emulator(paris).configure({ tokensPerSecond: 50_000, completionTokens: 32 });
    }
  }, 120_000);

  it('bills the delivered tokens of a generation its sized timeout cuts mid-stream (tRPC)', async () => {
    // 150 tokens at 10 tokens/s: the 5.75 s budget ends the stream after its first tokens
    fed.emulator(paris).configure({ tokensPerSecond: 10, completionTokens: 150 });
    try {
      const res = await complete(fr, chat('cut-mid-stream', { max_tokens: 150 }));
      expect(res.body.error.data.federaCode).toBe('SITE_TIMEOUT');
      const records = (await fed.ledger.listUsage(fr, { limit: 50 })).filter(
        (r) => r.requestId === 'cut-mid-stream',
      );
      expect(records).toHaveLength(1);
      expect(records[0]!.flags).toContain('SITE_FAILED_MID_STREAM');
      expect(records[0]!.outputTokens).toBeGreaterThan(0);
      expect(records[0]!.outputTokens).toBeLessThan(150);
      expect((await fed.ledger.hold(fr, 'cut-mid-stream'))?.state).toBe('posted');
    } finally {
      fed.emulator(paris).configure({ tokensPerSecond: 50_000, completionTokens: 32 });
    }
  }, 60_000);

  it('still counts a timeout of a small request against the site', async () => {
    fed.emulator(paris).configure({ ttftMs: 4000 });
    try {
      // 10 tokens: a budget of 2.25 s, nearly all of it the fixed allowance
      const failed = await viaDrainingWorkflow(fr, 'small-timeout', 10);
      expect(failed.code).toBe('ALL_SITES_FAILED');
      await until('the failure to reach the breaker', async () => {
        const [state] = await health.states([paris]);
        return state!.consecutiveFailures === 1;
      });
    } finally {
      fed.emulator(paris).configure({ ttftMs: 2 });
    }
  });

  it("sends an idempotency key of the tenant's own: two tenants' equal request ids do not collide", async () => {
    const before = fed.emulator(paris).stats().duplicates;
    expect((await complete(fr, chat('shared-id'))).status).toBe(200);
    expect((await complete(eu, chat('shared-id', { residency: ['FR'] }))).status).toBe(200);
    expect(fed.emulator(paris).stats().completions).toBeGreaterThanOrEqual(2);
    expect(fed.emulator(paris).stats().duplicates).toBe(before);
  });

  it("keeps a site's error body out of the API error and the workflow history", async () => {
    fed.emulator(paris).configure({ forceStatus: 400 });
    try {
      const res = await complete(fr, chat('site-rejects'));
      expect(res.status).toBe(422);
      expect(res.body.error.data.federaCode).toBe('SITE_REJECTED');
      expect(res.body.error.message).toMatch(/HTTP 400/);
      expect(JSON.stringify(res.body)).not.toContain('forced failure');
      const history = await fed.temporal.workflow
        .getHandle(requestWorkflowId(fr, 'site-rejects'))
        .fetchHistory();
      const all = texts(history).join('\n');
      expect(all).toContain('HTTP 400');
      expect(all).not.toContain('forced failure');
    } finally {
      fed.emulator(paris).configure({ forceStatus: 0 });
    }
  });

  it('refuses an answer larger than the cap as the site being unavailable', async () => {
    // about 1,500 tokens of text: well over the 4 KiB cap of this federation
    fed.emulator(paris).configure({ completionTokens: 1500 });
    try {
      const failed = await viaDrainingWorkflow(fr, 'oversized-answer', 1500);
      expect(failed.code).toBe('ALL_SITES_FAILED');
      expect(failed.message).toMatch(/SITE_UNAVAILABLE.*exceeds 4096 bytes/);
      expect((await fed.ledger.hold(fr, 'oversized-answer'))?.state).toBe('voided');
      expect((await complete(fr, chat('small-answer', { max_tokens: 16 }))).status).toBe(200);
    } finally {
      fed.emulator(paris).configure({ completionTokens: 32 });
    }
  });
});
