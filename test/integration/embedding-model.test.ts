/**
 * The embedding model in the test topology: the registry accepts it (input price, output price 0),
 * routing keeps it inside each tenant's residency and to the sites that serve it, its price is
 * input tokens only, and the emulators behind those sites embed with it.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { priceUsage } from '@federa/domain';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_EMBEDDING_MODEL, testTopology } from '../support/topology';

describe('the embedding model in the federation', () => {
  const s = uniqueSuffix();
  let fed: Federation;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s));
  });
  afterAll(async () => fed?.close());

  const explain = async (tenant: string) => {
    const token = await fed.token('tenant', `${s}-${tenant}`);
    const res = await fed.call('routing.explain', { model: TEST_EMBEDDING_MODEL }, token, { method: 'GET' });
    expect(res.status).toBe(200);
    return res.body.result.data as {
      candidates: { siteId: string; jurisdiction: string }[];
      excluded: { siteId: string; reason: string }[];
    };
  };

  it('is routed only to the sites serving it, inside the residency', async () => {
    const eu = await explain('eu');
    expect(eu.candidates.map((c) => c.siteId).sort()).toEqual([`${s}-fra`, `${s}-par`, `${s}-sto`]);
    expect(eu.excluded).toContainEqual({
      siteId: `${s}-lon`,
      jurisdiction: 'GB',
      reason: 'OUTSIDE_RESIDENCY',
    });
    const fr = await explain('fr');
    expect(fr.candidates.map((c) => c.siteId)).toEqual([`${s}-par`]);
    // a tenant without residency duties still only reaches sites that have the model
    const any = await explain('any');
    expect(any.candidates.map((c) => c.siteId).sort()).toEqual([`${s}-fra`, `${s}-par`, `${s}-sto`]);
    expect(any.excluded).toContainEqual({ siteId: `${s}-ash`, jurisdiction: 'US', reason: 'MODEL_MISSING' });
  });

  it('is priced by input tokens only', () => {
    const rate = fed.topology.rateAt(`${s}-rhein`, TEST_EMBEDDING_MODEL, Date.now());
    expect(rate?.retail).toEqual({ inputPer1M: 20_000, outputPer1M: 0 });
    expect(priceUsage(rate!.retail, 1_000_000, 0)).toBe(20_000);
    expect(priceUsage(rate!.retail, 10, 500)).toBe(1); // rounded up, never undercharged
  });

  it('is served by the emulator behind a site that has it', async () => {
    const par = fed.emulators.get(`${s}-par`)!;
    const client = new OpenAI({ baseURL: `${par.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const res = await client.embeddings.create({ model: TEST_EMBEDDING_MODEL, input: 'hello' });
    expect(res.data[0]!.embedding).toHaveLength(256);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain(TEST_EMBEDDING_MODEL);
  });
});
