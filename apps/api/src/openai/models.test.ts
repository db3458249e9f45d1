import { describe, expect, it } from 'vitest';
import { FederaError, TopologyIndex, expandJurisdictions, parseTopology } from '@federa/domain';
import { renderModelList, requireModel, tenantModels } from './models';
import { embeddingsBody, encodeBase64Float32 } from './render-embeddings';
import { routeOf } from './index';

const price = { retail: { inputPer1M: 2, outputPer1M: 6 }, wholesale: { inputPer1M: 1, outputPer1M: 3 } };
const site = (id: string, operator: string, jurisdiction: string, models: string[], status = 'active') => ({
  id,
  operator,
  jurisdiction,
  city: id,
  location: { lat: 48, lon: 2 },
  endpoint: 'http://127.0.0.1:1',
  status,
  models: models.map((m) => ({ id: m, capacity: 4 })),
});

const topology = new TopologyIndex(
  parseTopology({
    name: 'models-unit',
    operators: [
      { id: 'home', name: 'Home', country: 'FR', currency: 'EUR', rateCard: { chat: price, embed: price } },
      {
        id: 'away',
        name: 'Away',
        country: 'US',
        currency: 'EUR',
        rateCard: { chat: price, 'us-only': price, extra: price },
      },
    ],
    sites: [
      site('par', 'home', 'FR', ['chat', 'embed']),
      site('fra', 'home', 'DE', ['chat'], 'down'),
      site('ash', 'away', 'US', ['chat', 'us-only']),
      site('ams', 'away', 'NL', ['chat', 'extra']),
    ],
    tenants: [
      {
        id: 'eu',
        name: 'EU',
        homeOperator: 'home',
        residency: ['EU'],
        budget: 1000,
        region: 'fr',
        location: { lat: 48, lon: 2 },
      },
    ],
  }),
);
const tenant = topology.tenant('eu');
const eu = expandJurisdictions(['EU'], topology.groups);

describe('the models a tenant may use', () => {
  it('lists models its home operator prices and a live site in its residency serves, with where', () => {
    const models = tenantModels(topology, tenant, eu, {}, Date.now());
    // us-only: no site in the EU; extra: not on the home operator's rate card; fra is down
    expect(models).toEqual([
      { id: 'chat', ownedBy: 'home', jurisdictions: ['FR', 'NL'] },
      { id: 'embed', ownedBy: 'home', jurisdictions: ['FR'] },
    ]);
    expect(renderModelList(models).data[0]).toEqual({
      id: 'chat',
      object: 'model',
      created: 0,
      owned_by: 'home',
      federa: { jurisdictions: ['FR', 'NL'] },
    });
  });

  it("narrows to an API key's models and residency", () => {
    const models = tenantModels(topology, tenant, new Set(['NL']), { models: ['chat', 'embed'] }, Date.now());
    expect(models.map((m) => m.id)).toEqual(['chat']);
  });

  it('refuses a model outside the list as UNKNOWN_MODEL', () => {
    const models = tenantModels(topology, tenant, eu, {}, Date.now());
    expect(requireModel(models, 'embed').id).toBe('embed');
    expect(() => requireModel(models, 'us-only')).toThrow(FederaError);
  });
});

describe('embeddings rendering', () => {
  it("encodes base64 as little-endian float32, as OpenAI's clients decode it", () => {
    const vector = [0.5, -1.25, 3];
    const bytes = Buffer.from(encodeBase64Float32(vector), 'base64');
    expect(bytes.length).toBe(12);
    expect([0, 4, 8].map((o) => bytes.readFloatLE(o))).toEqual(vector);
  });

  it('answers a list with usage and federa', () => {
    const body = embeddingsBody(
      'embed',
      {
        admission: {
          requestId: 'r',
          siteId: 'par',
          operatorId: 'home',
          jurisdiction: 'FR',
          policyVersion: 1,
        },
        vectors: [[1], [2]],
        usage: { inputTokens: 5 },
        federa: { charge: 1, currency: 'EUR', site: 'par', jurisdiction: 'FR', recordId: '2-0', flags: [] },
      },
      'float',
    );
    expect(body).toMatchObject({
      object: 'list',
      model: 'embed',
      data: [
        { object: 'embedding', index: 0, embedding: [1] },
        { object: 'embedding', index: 1, embedding: [2] },
      ],
      usage: { prompt_tokens: 5, total_tokens: 5 },
      federa: { recordId: '2-0', jurisdiction: 'FR' },
    });
  });
});

describe('routes', () => {
  it('routes the four endpoints and refuses the rest in OpenAI shape', () => {
    expect(routeOf('POST', '/v1/chat/completions')).toEqual({ kind: 'chat' });
    expect(routeOf('POST', '/v1/embeddings?x=1')).toEqual({ kind: 'embeddings' });
    expect(routeOf('GET', '/v1/models/')).toEqual({ kind: 'models' });
    expect(routeOf('GET', '/v1/models/org%2Fmodel')).toEqual({ kind: 'model', id: 'org/model' });
    expect(() => routeOf('GET', '/v1/chat/completions')).toThrow(/use POST/);
    expect(() => routeOf('POST', '/v1/completions')).toThrow(/no route/);
  });
});
