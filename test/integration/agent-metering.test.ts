/**
 * The site agent's metering against sites that are not honest or not sane, on the real stack (API,
 * Temporal, Redis, agents, emulators) through the official `openai` client: a site whose reported
 * output differs from what the agent relayed is flagged SITE_USAGE_DISPUTED and billed by the
 * agent's count; an embeddings site that over-reports its input is flagged and billed by the edge's
 * count; a site that floods the stream is cut at the byte bound, billed what was relayed.
 */
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countTextTokens } from '@federa/tokenizer';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_EMBEDDING_MODEL, TEST_MODEL, testTopology } from '../support/topology';

interface FederaTrailer {
  charge: number;
  recordId: string;
  site: string;
  flags: string[];
}

describe('agent metering against dishonest and hostile sites', () => {
  const s = uniqueSuffix();
  const eu = `${s}-eu`;
  const sto = `${s}-sto`;
  let fed: Federation;
  let client: OpenAI;
  const messages = [{ role: 'user' as const, content: 'Describe the Baltic sea in a few words.' }];
  // SE has one site: every request of this suite is served by the Stockholm emulator
  const inSweden = (requestId: string) => ({
    headers: { 'Idempotency-Key': requestId, 'X-Federa-Residency': 'SE' },
  });

  beforeAll(async () => {
    fed = await startFederation(testTopology(s));
    client = new OpenAI({
      apiKey: await fed.token('tenant', eu),
      baseURL: `${fed.api.url}/v1`,
      maxRetries: 0,
    });
  });
  afterAll(async () => fed?.close());

  /** Streams a completion; the text relayed, the trailer, and the record it was billed under. */
  async function streamed(requestId: string, maxTokens: number) {
    const stream = await client.chat.completions.create(
      { model: TEST_MODEL, messages, max_tokens: maxTokens, stream: true },
      inSweden(requestId),
    );
    let text = '';
    let trailer: FederaTrailer | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      trailer = (chunk as unknown as { federa?: FederaTrailer }).federa ?? trailer;
    }
    const [record] = await fed.ledger.listUsage(eu, { limit: 1 });
    expect(record!.requestId).toBe(requestId);
    return { text, trailer: trailer!, record: record! };
  }

  it('an honest site: no dispute, billed by the relayed count', async () => {
    const { text, trailer, record } = await streamed('meter-honest', 16);
    expect(trailer.site).toBe(sto);
    expect(record.outputTokens).toBe(countTextTokens(text));
    expect(record.flags).not.toContain('SITE_USAGE_DISPUTED');
  });

  it("a site that over-reports its output is flagged, billed by the agent's count", async () => {
    fed.emulator(sto).configure({ completionUsageInflation: 3 });
    try {
      const { text, trailer, record } = await streamed('meter-over', 16);
      expect(record.outputTokens).toBe(16);
      expect(countTextTokens(text)).toBe(16);
      expect(record.flags).toContain('SITE_USAGE_DISPUTED');
      expect(trailer.flags).toContain('SITE_USAGE_DISPUTED');
      expect(record.flags.filter((f) => f === 'SITE_USAGE_DISPUTED')).toHaveLength(1);
      expect(trailer.charge).toBe(record.retailCharge);
    } finally {
      fed.emulator(sto).configure({ completionUsageInflation: 1 });
    }
  });

  it('a site that under-reports its output is flagged too', async () => {
    fed.emulator(sto).configure({ completionUsageInflation: 0.5 });
    try {
      const { text, record } = await streamed('meter-under', 24);
      expect(record.outputTokens).toBe(countTextTokens(text));
      expect(record.outputTokens).toBe(24);
      expect(record.flags).toContain('SITE_USAGE_DISPUTED');
    } finally {
      fed.emulator(sto).configure({ completionUsageInflation: 1 });
    }
  });

  it("an embeddings site that over-reports its input is flagged, billed by the edge's count", async () => {
    const honest = await client.embeddings.create(
      { model: TEST_EMBEDDING_MODEL, input: ['north wind', 'cold water'] },
      inSweden('embed-honest'),
    );
    const [first] = await fed.ledger.listUsage(eu, { limit: 1 });
    expect(first!.flags).not.toContain('SITE_USAGE_DISPUTED');
    fed.emulator(sto).configure({ usageInflation: 2 });
    try {
      const inflated = await client.embeddings.create(
        { model: TEST_EMBEDDING_MODEL, input: ['north wind', 'cold water'] },
        inSweden('embed-inflated'),
      );
      const [record] = await fed.ledger.listUsage(eu, { limit: 1 });
      expect(record).toMatchObject({ requestId: 'embed-inflated', inputTokens: honest.usage.prompt_tokens });
      expect(inflated.usage.prompt_tokens).toBe(honest.usage.prompt_tokens);
      expect(record!.flags).toContain('SITE_USAGE_DISPUTED');
      expect(record!.siteReported?.inputTokens).toBe(2 * honest.usage.prompt_tokens);
    } finally {
      fed.emulator(sto).configure({ usageInflation: 1 });
    }
  });

  it('a site that floods the stream is cut at the byte bound, billed what was relayed, no hold left', async () => {
    fed.emulator(sto).configure({ completionTokens: 500, floodAfterTokens: 6 });
    try {
      const stream = await client.chat.completions.create(
        { model: TEST_MODEL, messages, max_tokens: 400, stream: true },
        inSweden('meter-flood'),
      );
      let text = '';
      const failure = await (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })().catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(APIError);
      expect((failure as APIError).code).toBe('SITE_RESPONSE_TOO_LARGE');
      await expect
        .poll(async () => (await fed.ledger.listUsage(eu, { limit: 1 }))[0]?.requestId)
        .toBe('meter-flood');
      const [record] = await fed.ledger.listUsage(eu, { limit: 1 });
      expect(record!.flags).toContain('SITE_FAILED_MID_STREAM');
      expect(record!.flags).not.toContain('SITE_USAGE_DISPUTED'); // the site never said a figure
      expect(record!.outputTokens).toBe(countTextTokens(text));
      expect(record!.outputTokens).toBe(6);
      expect((await fed.ledger.account(eu)).pending).toBe(0);
      // the site saw its client (the agent) leave: it stopped flooding
      await expect.poll(() => fed.emulator(sto).stats().cancelled).toBeGreaterThan(0);
    } finally {
      fed.emulator(sto).configure({ completionTokens: 32, floodAfterTokens: 0 });
    }
  });
});
