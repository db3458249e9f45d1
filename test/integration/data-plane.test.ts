/**
 * The split control and data plane, at the DataPlane interface the /v1 surface uses: admission by
 * an eagerly started workflow answered in process, tokens streamed API ← site agent ← site over
 * HTTP, usage reconciled after the last token. History holds metadata only.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  HEALTH_KEY,
  Observations,
  SiteHealth,
  requestWorkflowId,
  type ServedRequestResult,
} from '@federa/workflows';
import { FederaError } from '@federa/domain';
import type { ChatServeRequest } from '@federa/api';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';

/** Every byte string in a history, decoded, so no encoding can hide a clear-text payload. */
function texts(value: unknown, out: string[] = []): string[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) texts(v, out);
  return out;
}

describe('the data plane', () => {
  const s = uniqueSuffix();
  const eu = `${s}-eu`;
  // price-only ranking (see request-path.test.ts): Stockholm first, then Frankfurt
  const best = `${s}-sto`;
  const next = `${s}-fra`;
  let fed: Federation;

  const request = (requestId: string, extra: Partial<ChatServeRequest> = {}): ChatServeRequest => ({
    tenantId: eu,
    requestId,
    model: TEST_MODEL,
    messages: [{ role: 'user', content: 'Summarise the federation in one sentence.' }],
    maxTokens: 64,
    sampling: {},
    signal: new AbortController().signal,
    ...extra,
  });

  async function collect(req: ChatServeRequest) {
    const stream = await fed.dataPlane.serveChat(req);
    let text = '';
    for await (const piece of stream.deltas) text += piece;
    return { stream, text, outcome: await stream.outcome };
  }

  beforeAll(async () => {
    fed = await startFederation(testTopology(s));
    const pinned = await fed.call(
      'policy.set',
      { weights: { latency: 0, load: 0, price: 1 }, preferHome: { mode: 'off', marginMs: 0 } },
      await fed.token('admin', 'data-plane-suite'),
    );
    expect(pinned.status).toBe(200);
  });
  afterAll(async () => fed?.close());
  beforeEach(async () => {
    // the data plane feeds the sites' circuits: earlier tests' injected failures must not open them
    await fed.redis.hdel(HEALTH_KEY, ...fed.emulators.keys());
    for (const e of fed.emulators.values())
      e.configure({
        down: false,
        forceStatus: 0,
        errorRate: 0,
        completionTokens: 32,
        tokensPerSecond: 50_000,
      });
  });

  it('streams a completion and records its usage once, with nothing of it in the history', async () => {
    const secret = 'Project Nightingale: merger terms for Q3';
    const before = await fed.ledger.account(eu);
    const { stream, text, outcome } = await collect(
      request('dp-plain', { messages: [{ role: 'user', content: secret }] }),
    );
    expect(stream.admission).toMatchObject({ siteId: best, jurisdiction: 'SE' });
    expect(text.length).toBeGreaterThan(20);
    expect(outcome.usage.outputTokens).toBe(32);
    expect(outcome.finishReason).toBe('stop');
    expect(outcome.federa).toMatchObject({ site: best, jurisdiction: 'SE', currency: 'EUR' });

    const after = await fed.ledger.account(eu);
    expect(after.posted - before.posted).toBe(outcome.federa.charge);
    expect(after.pending).toBe(0);
    const [record] = await fed.ledger.listUsage(eu, { limit: 1 });
    expect(record).toMatchObject({ requestId: 'dp-plain', siteId: best, outputTokens: 32 });
    expect(record!.recordId).toBe(outcome.federa.recordId);
    expect(record!.inputTokens).toBe(outcome.usage.inputTokens);

    // the API posted from the agent's last frame; the workflow's own post, from the agent's report,
    // is a replay of it: the same record, charged once
    const result = (await fed.temporal.workflow
      .getHandle(requestWorkflowId(eu, 'dp-plain'))
      .result()) as ServedRequestResult;
    expect(result.recordId).toBe(outcome.federa.recordId);
    expect(result.charge.amount).toBe(outcome.federa.charge);
    const records = await fed.ledger.listUsage(eu, { limit: 100 });
    expect(records.filter((r) => r.requestId === 'dp-plain')).toHaveLength(1);
    expect((await fed.ledger.account(eu)).posted - before.posted).toBe(outcome.federa.charge);

    const history = texts(
      await fed.temporal.workflow.getHandle(requestWorkflowId(eu, 'dp-plain')).fetchHistory(),
    ).join('\n');
    expect(history.length).toBeGreaterThan(500);
    expect(history).not.toContain('Nightingale');
    expect(history).not.toContain(text.trim().slice(0, 24));
    // no payload at all, not even sealed
    expect(history).not.toContain('ciphertext');
  });

  it("feeds the router: a stream counts in its site's load while it runs; a failure before the first token counts against the site", async () => {
    const observations = new Observations(fed.redis);
    const health = new SiteHealth(fed.redis);
    const load = async () => (await observations.inflight([best])).get(best);
    const idle = await load();
    // one token, then the site holds the stream open until its client leaves
    fed.emulator(best).configure({ completionTokens: 2_000, stallAfterTokens: 1 });
    const client = new AbortController();
    const stream = await fed.dataPlane.serveChat(
      request('dp-load', { maxTokens: 2_000, signal: client.signal }),
    );
    const pieces = stream.deltas[Symbol.asyncIterator]();
    await pieces.next();
    await expect.poll(load).toBe(idle! + 1);
    client.abort();
    await (async () => {
      while (!(await pieces.next()).done);
    })().catch(() => undefined);
    await expect.poll(load).toBe(idle);

    fed.emulator(best).configure({ forceStatus: 503 });
    const { stream: failedOver } = await collect(request('dp-circuit'));
    expect(failedOver.admission.siteId).toBe(next);
    await expect.poll(async () => (await health.states([best]))[0]?.consecutiveFailures).toBe(1);
  });

  it('fails over before the first byte, with one record flagged FAILOVER', async () => {
    fed.emulator(best).configure({ forceStatus: 503 });
    const { stream, outcome } = await collect(request('dp-failover'));
    expect(stream.admission.siteId).toBe(next);
    expect(outcome.federa.flags).toContain('FAILOVER');
    const [record] = await fed.ledger.listUsage(eu, { limit: 1 });
    expect(record).toMatchObject({ requestId: 'dp-failover', siteId: next, failedAttempts: 1 });
  });

  it('refuses with ALL_SITES_FAILED when no site answers, voids the hold, and lets the id be retried', async () => {
    for (const e of fed.emulators.values()) e.configure({ forceStatus: 503 });
    const before = await fed.ledger.account(eu);
    const err = await fed.dataPlane.serveChat(request('dp-all-failed')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FederaError);
    expect((err as FederaError).code).toBe('ALL_SITES_FAILED');
    await expect
      .poll(async () => (await fed.ledger.account(eu)).pending, { timeout: 10_000 })
      .toBe(before.pending);
    for (const e of fed.emulators.values()) e.configure({ forceStatus: 0 });
    // the failed run is over: the same id runs again and is served
    await expect
      .poll(
        async () =>
          (await fed.temporal.workflow.getHandle(requestWorkflowId(eu, 'dp-all-failed')).describe()).status
            .name,
        { timeout: 10_000 },
      )
      .toBe('FAILED');
    const { outcome } = await collect(request('dp-all-failed'));
    expect(outcome.usage.outputTokens).toBe(32);
  });

  it('refuses a served id with REQUEST_ALREADY_SERVED and charges nothing more', async () => {
    await collect(request('dp-once'));
    // the record is handed over before the workflow closes; until it has, the id is "in progress"
    await fed.temporal.workflow.getHandle(requestWorkflowId(eu, 'dp-once')).result();
    const before = await fed.ledger.account(eu);
    const err = await fed.dataPlane.serveChat(request('dp-once')).catch((e: unknown) => e);
    expect((err as FederaError).code).toBe('REQUEST_ALREADY_SERVED');
    expect((await fed.ledger.account(eu)).posted).toBe(before.posted);
  });

  it('stops at the grant: output is clamped to max_tokens and billed at it', async () => {
    fed.emulator(best).configure({ completionTokens: 200 });
    const { outcome } = await collect(request('dp-clamp', { maxTokens: 10 }));
    expect(outcome.finishReason).toBe('length');
    expect(outcome.usage.outputTokens).toBeLessThanOrEqual(10);
  });

  it('bills input plus what was delivered when the client leaves mid-stream', async () => {
    fed.emulator(best).configure({ completionTokens: 2_000, tokensPerSecond: 400 });
    const client = new AbortController();
    const stream = await fed.dataPlane.serveChat(
      request('dp-disconnect', { maxTokens: 2_000, signal: client.signal }),
    );
    let received = 0;
    try {
      for await (const piece of stream.deltas) {
        received += piece.length;
        if (received > 40) client.abort();
      }
    } catch {
      // the aborted fetch ends the iteration with an error: that is the disconnect
    }
    await expect
      .poll(async () => (await fed.ledger.listUsage(eu, { limit: 1 }))[0]?.requestId, { timeout: 15_000 })
      .toBe('dp-disconnect');
    const [record] = await fed.ledger.listUsage(eu, { limit: 1 });
    expect(record!.flags).toContain('CLIENT_DISCONNECT');
    expect(record!.outputTokens).toBeGreaterThan(0);
    expect(record!.outputTokens).toBeLessThan(2_000);
    expect((await fed.ledger.account(eu)).pending).toBe(0);
  });
});
