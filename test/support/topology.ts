/**
 * A test topology with unique ids per call, so suites can share one Temporal server and one Redis.
 * Sites point at emulators started by the harness. The GB site is nearest to the EU tenant but
 * outside its policy, so residency and latency pull in opposite directions.
 */
import type { TopologyInput } from '@federa/domain';

const card = (i: number, o: number, wi: number, wo: number) => ({
  retail: { inputPer1M: i, outputPer1M: o },
  wholesale: { inputPer1M: wi, outputPer1M: wo },
});

export const TEST_MODEL = 'llama-3.1-8b';
/** an embedding model (output price 0), served by the EU sites only */
export const TEST_EMBEDDING_MODEL = 'federa-embed-1';
const EMBEDDING_SITES = new Set(['par', 'fra', 'sto']);
const embeddingCard = (i: number, wi: number) => card(i, 0, wi, 0);

export function testTopology(
  s: string,
  opts: { budgets?: Partial<Record<'eu' | 'fr' | 'any' | 'poor', number>> } = {},
): TopologyInput {
  const site = (
    id: string,
    operator: string,
    jurisdiction: string,
    city: string,
    lat: number,
    lon: number,
  ) => ({
    id: `${s}-${id}`,
    operator: `${s}-${operator}`,
    jurisdiction,
    city,
    location: { lat, lon },
    endpoint: 'http://127.0.0.1:1', // replaced by the harness with the emulator's address
    models: [
      { id: TEST_MODEL, capacity: 32 },
      ...(EMBEDDING_SITES.has(id) ? [{ id: TEST_EMBEDDING_MODEL, capacity: 32 }] : []),
    ],
  });
  return {
    name: `test-${s}`,
    operators: [
      {
        id: `${s}-rhein`,
        name: 'Rhein',
        country: 'DE',
        currency: 'EUR',
        rateCard: {
          [TEST_MODEL]: card(200_000, 600_000, 120_000, 360_000),
          [TEST_EMBEDDING_MODEL]: embeddingCard(20_000, 12_000),
        },
      },
      {
        id: `${s}-albion`,
        name: 'Albion',
        country: 'GB',
        currency: 'EUR',
        rateCard: {
          [TEST_MODEL]: card(210_000, 610_000, 100_000, 300_000),
          [TEST_EMBEDDING_MODEL]: embeddingCard(21_000, 10_000),
        },
      },
      {
        id: `${s}-pacific`,
        name: 'Pacific',
        country: 'US',
        currency: 'EUR',
        rateCard: {
          [TEST_MODEL]: card(190_000, 590_000, 130_000, 390_000),
          [TEST_EMBEDDING_MODEL]: embeddingCard(19_000, 13_000),
        },
      },
    ],
    sites: [
      site('lon', 'albion', 'GB', 'London', 51.51, -0.13),
      site('par', 'rhein', 'FR', 'Paris', 48.86, 2.35),
      site('fra', 'rhein', 'DE', 'Frankfurt', 50.11, 8.68),
      site('sto', 'albion', 'SE', 'Stockholm', 59.33, 18.07),
      site('ash', 'pacific', 'US', 'Ashburn', 39.04, -77.49),
      site('tyo', 'pacific', 'JP', 'Tokyo', 35.68, 139.69),
    ],
    tenants: [
      {
        id: `${s}-eu`,
        name: 'EU-only tenant in London',
        homeOperator: `${s}-rhein`,
        residency: ['EU'],
        budget: opts.budgets?.eu ?? 10_000_000,
        region: 'gb',
        location: { lat: 51.5, lon: -0.12 },
      },
      {
        id: `${s}-fr`,
        name: 'France-only tenant',
        homeOperator: `${s}-rhein`,
        residency: ['FR'],
        budget: opts.budgets?.fr ?? 10_000_000,
        region: 'fr',
        location: { lat: 45.76, lon: 4.84 },
      },
      {
        id: `${s}-any`,
        name: 'Tenant without residency duties',
        homeOperator: `${s}-pacific`,
        residency: ['ANY'],
        budget: opts.budgets?.any ?? 10_000_000,
        region: 'us',
        location: { lat: 40.71, lon: -74.0 },
      },
      {
        id: `${s}-poor`,
        name: 'Tenant with almost no budget',
        homeOperator: `${s}-rhein`,
        residency: ['EU'],
        budget: opts.budgets?.poor ?? 10,
        region: 'de',
        location: { lat: 52.5, lon: 13.4 },
      },
    ],
    routing: {
      version: 1,
      weights: { latency: 0.6, load: 0.2, price: 0.2 },
      maxFailoverAttempts: 3,
      holdTtlMs: 600_000,
    },
  };
}
