/**
 * Slice grants on the real stack (Temporal, Redis, site agents, emulators), through the official
 * `openai` client: a request without max_tokens holds one slice at a time, the site agent asks its
 * workflow for the next before it runs out, and a budget that cannot extend stops the generation at
 * what was granted with finish_reason "length" and the Federa code — charged input + delivered,
 * never beyond the budget, with one usage record and no prompt or completion in history.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { priceUsage } from '@federa/domain';
import { extendGrantUpdate, requestWorkflowId } from '@federa/workflows';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';

interface FederaTrailer {
  charge: number;
  recordId: string;
  flags: string[];
  code?: string;
}

/** Every byte string in a history, decoded, so no encoding can hide a clear-text payload. */
function texts(value: unknown, out: string[] = []): string[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) texts(v, out);
  return out;
}

const SLICE = 64;
const CEILING = 400;

describe('slice grants', () => {
  const s = uniqueSuffix();
  const eu = `${s}-eu`;
  const fr = `${s}-fr`;
  // the home operator's retail card of both tenants (test/support/topology.ts, rhein)
  const retail = { inputPer1M: 200_000, outputPer1M: 600_000 };
  const messages = [
    { role: 'user' as const, content: 'Project Kestrel: write a long account of the federation.' },
  ];
  let fed: Federation;
  let promptTokens: number;
  const clientFor = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${fed.api.url}/v1`, maxRetries: 0 });
  const newKey = async (tenant: string, extra: Record<string, unknown> = {}) => {
    const created = await fed.call(
      'keys.create',
      { name: 'slices', ...extra },
      await fed.token('tenant', tenant),
    );
    expect(created.status).toBe(200);
    return clientFor(created.body.result.data.secret as string);
  };

  async function stream(client: OpenAI, requestId: string) {
    const chunks = await client.chat.completions.create(
      { model: TEST_MODEL, messages, stream: true, stream_options: { include_usage: true } },
      { headers: { 'Idempotency-Key': requestId } },
    );
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let federa: FederaTrailer | undefined;
    for await (const chunk of chunks) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
      federa = (chunk as unknown as { federa?: FederaTrailer }).federa ?? federa;
    }
    return { text, finish, usage: usage!, federa: federa! };
  }

  const updatesIn = async (tenant: string, requestId: string) =>
    (
      await fed.temporal.workflow.getHandle(requestWorkflowId(tenant, requestId)).fetchHistory()
    ).events!.filter((e) => e.workflowExecutionUpdateCompletedEventAttributes).length;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s), {
      grants: { defaultMaxTokens: CEILING, sliceTokens: SLICE },
    });
    // the edge's count of the prompt, from a request within one slice
    const pilot = await (
      await newKey(eu)
    ).chat.completions.create({ model: TEST_MODEL, messages, max_tokens: 4 });
    promptTokens = pilot.usage!.prompt_tokens;
  });
  afterAll(async () => fed?.close());
  beforeEach(() => {
    for (const e of fed.emulators.values()) e.configure({ completionTokens: 300, tokensPerSecond: 50_000 });
  });

  it('serves a long completion without max_tokens in several slices, billed once for what was relayed', async () => {
    const client = await newKey(eu);
    const before = await fed.ledger.account(eu);
    const out = await stream(client, 'slices-long');
    expect(out.finish).toBe('stop');
    expect(out.usage.completion_tokens).toBe(300);
    expect(out.federa.code).toBeUndefined();
    expect(out.federa.charge).toBe(priceUsage(retail, promptTokens, 300));
    // 64 held at admission, then a slice at a time: at least four more to reach 300
    expect(await updatesIn(eu, 'slices-long')).toBeGreaterThanOrEqual(4);

    const after = await fed.ledger.account(eu);
    expect(after.posted - before.posted).toBe(out.federa.charge);
    expect(after.pending).toBe(0);
    const records = (await fed.ledger.listUsage(eu, { limit: 20 })).filter(
      (r) => r.requestId === 'slices-long',
    );
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outputTokens: 300, retailCharge: out.federa.charge });
  });

  it("stops at the granted total when the API key's budget cannot extend: length + code, input + delivered", async () => {
    // room for the first slice and half the next one
    const firstHold = priceUsage(retail, promptTokens, SLICE);
    const halfSlice = Math.floor((priceUsage(retail, promptTokens, 2 * SLICE) - firstHold) / 2);
    const client = await newKey(eu, { budget: firstHold + halfSlice });
    const out = await stream(client, 'slices-key-budget');
    expect(out.finish).toBe('length');
    expect(out.federa.code).toBe('KEY_BUDGET_EXCEEDED');
    expect(out.federa.flags).toContain('GRANT_EXHAUSTED');
    expect(out.usage.completion_tokens).toBeGreaterThan(0);
    expect(out.usage.completion_tokens).toBeLessThanOrEqual(SLICE);
    expect(out.federa.charge).toBe(priceUsage(retail, promptTokens, out.usage.completion_tokens));

    const [record] = await fed.ledger.listUsage(eu, { limit: 1 });
    expect(record).toMatchObject({
      requestId: 'slices-key-budget',
      outputTokens: out.usage.completion_tokens,
    });
    const key = (await fed.ledger.keyAccount(eu, record!.apiKeyId!))!;
    expect(key.pending).toBe(0);
    expect(key.available).toBeGreaterThanOrEqual(0);
    expect(key.posted).toBe(out.federa.charge);

    // (c) the history of the request holds neither the prompt nor the completion
    const history = texts(
      await fed.temporal.workflow.getHandle(requestWorkflowId(eu, 'slices-key-budget')).fetchHistory(),
    ).join('\n');
    expect(history).toContain('extendGrant');
    expect(history).not.toContain('Kestrel');
    expect(history).not.toContain(out.text.trim().slice(0, 24));
    expect(history).not.toContain('ciphertext');
  });

  it("stops a plain completion at the tenant's budget: finish_reason length and BUDGET_EXCEEDED", async () => {
    const firstHold = priceUsage(retail, promptTokens, SLICE);
    const halfSlice = Math.floor((priceUsage(retail, promptTokens, 2 * SLICE) - firstHold) / 2);
    await fed.ledger.configureAccount(fr, { budget: firstHold + halfSlice });
    const client = await newKey(fr);
    const res = await client.chat.completions.create(
      { model: TEST_MODEL, messages },
      { headers: { 'Idempotency-Key': 'slices-tenant-budget' } },
    );
    const federa = (res as unknown as { federa: FederaTrailer }).federa;
    expect(res.choices[0]!.finish_reason).toBe('length');
    expect(federa.code).toBe('BUDGET_EXCEEDED');
    expect(federa.flags).toContain('GRANT_EXHAUSTED');
    expect(res.usage!.completion_tokens).toBeLessThanOrEqual(SLICE);
    expect(federa.charge).toBe(priceUsage(retail, promptTokens, res.usage!.completion_tokens));
    const account = await fed.ledger.account(fr);
    expect(account).toMatchObject({ posted: federa.charge, pending: 0, overage: 0 });
    expect(account.available).toBeGreaterThanOrEqual(0);
  });

  it('validates extendGrant, answers a repeated number once, and the post releases the unused extension', async () => {
    // the site stalls after 5 tokens: the workflow waits, and its agent has not asked (5 < 48)
    for (const e of fed.emulators.values()) e.configure({ stallAfterTokens: 5 });
    const client = await newKey(eu);
    const before = await fed.ledger.account(eu);
    const chunks = await client.chat.completions.create(
      { model: TEST_MODEL, messages, stream: true },
      { headers: { 'Idempotency-Key': 'slices-validate' } },
    );
    const handle = fed.temporal.workflow.getHandle(requestWorkflowId(eu, 'slices-validate'));
    const ask = (seq: number, tokens: number) =>
      handle.executeUpdate(extendGrantUpdate, { args: [{ seq, tokens }] });
    try {
      // read up to the first content without leaving the loop (which would close the stream)
      const reader = chunks[Symbol.asyncIterator]();
      for (;;) {
        const next = await reader.next();
        if (next.done || next.value.choices[0]?.delta.content) break;
      }
      await expect(ask(0, 10)).rejects.toThrow();
      await expect(ask(1, 0)).rejects.toThrow();
      await expect(ask(2, 10)).rejects.toThrow(); // before 1
      await expect(ask(1, 10)).resolves.toEqual({ grantedTokens: SLICE + 10 });
      const hold = await fed.ledger.hold(eu, 'slices-validate');
      await expect(ask(1, 10)).resolves.toEqual({ grantedTokens: SLICE + 10 });
      expect(await fed.ledger.hold(eu, 'slices-validate')).toEqual(hold);
      expect(hold!.amount).toBe(priceUsage(retail, promptTokens, SLICE + 10));
    } finally {
      chunks.controller.abort();
      for (const e of fed.emulators.values()) e.configure({ stallAfterTokens: 0 });
    }
    // the client left: input + delivered billed, the rest of the extended hold released
    await expect
      .poll(async () => (await fed.ledger.listUsage(eu, { limit: 1 }))[0]?.requestId, { timeout: 15_000 })
      .toBe('slices-validate');
    const [record] = await fed.ledger.listUsage(eu, { limit: 1 });
    expect(record!.flags).toContain('CLIENT_DISCONNECT');
    expect(record!.retailCharge).toBe(priceUsage(retail, promptTokens, record!.outputTokens));
    const after = await fed.ledger.account(eu);
    expect(after.posted - before.posted).toBe(record!.retailCharge);
    expect(after.pending).toBe(0);
    // a closed request grants nothing more
    await expect(ask(2, 10)).rejects.toThrow();
  });
});
