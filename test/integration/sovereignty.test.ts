/**
 * Payload sovereignty: prompts and completions never rest in the orchestration layer. The workflow
 * history of a tRPC request holds neither, not even sealed; only the API (the tenant's edge) and the
 * serving site agent see them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVED_WORKFLOW_TYPE, requestWorkflowId } from '@federa/workflows';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { testTopology } from '../support/topology';

/** Every byte string in a history, decoded, so no encoding can hide a clear-text payload. */
function texts(value: unknown, out: string[] = []): string[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) texts(v, out);
  return out;
}

describe('payloads on the tRPC request path', () => {
  const s = uniqueSuffix();
  const tenant = `${s}-eu`;
  let fed: Federation;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s));
  });
  afterAll(async () => fed?.close());

  it('keeps the prompt and the completion out of the workflow history', async () => {
    const secret = 'Project Nightingale: merger terms for Q3';
    const res = await fed.call(
      'inference.complete',
      chat('sealed-1', { messages: [{ role: 'user', content: secret }] }),
      await fed.token('tenant', tenant),
    );
    expect(res.status).toBe(200);
    const completion = res.body.result.data.completion.content as string;
    expect(completion.length).toBeGreaterThan(20);
    expect(res.body.result.data.completion).not.toHaveProperty('sealedContent');

    const handle = fed.temporal.workflow.getHandle(requestWorkflowId(tenant, 'sealed-1'));
    // tRPC runs on the data plane: the served workflow, which never sees the payload
    expect((await handle.describe()).type).toBe(SERVED_WORKFLOW_TYPE);
    const all = texts(await handle.fetchHistory()).join('\n');
    expect(all.length).toBeGreaterThan(500);
    expect(all).not.toContain('Nightingale');
    expect(all).not.toContain(completion.trim().slice(0, 40));
    // not even sealed: no JWE, for any jurisdiction
    expect(all).not.toContain('ciphertext');
    expect(all).not.toMatch(/payload-[A-Z]{2}/);
    // metering still works on metadata alone
    const [record] = await fed.ledger.listUsage(tenant, { limit: 1 });
    expect(record!.inputTokens).toBe(res.body.result.data.usage.inputTokens);
    expect(record!.inputTokens).toBeGreaterThan(5);
  });
});
