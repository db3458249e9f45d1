/**
 * The federation the schedule tests settle in: each operator with one site, one tenant at home
 * and one flat wholesale card for model `m`, so only the agreements (the schedules pairs settle
 * on) differ between the generated cases.
 */
import { TopologyIndex, parseTopology } from '@federa/domain';

const CARD = { inputPer1M: 100_000, outputPer1M: 300_000 };

/** `agreements` as a topology file spells them (parties, period, timeZone, effectiveFrom…) */
export function scheduleWorld(
  name: string,
  ops: readonly string[],
  agreements: readonly unknown[],
): TopologyIndex {
  return new TopologyIndex(
    parseTopology({
      name,
      operators: ops.map((id) => ({ id, name: id, country: 'DE', currency: 'EUR', rateCard: {} })),
      sites: ops.map((id) => ({
        id: `${id}-s`,
        operator: id,
        jurisdiction: 'DE',
        city: 'x',
        location: { lat: 0, lon: 0 },
        endpoint: 'http://127.0.0.1:1',
        models: [{ id: 'm', capacity: 1 }],
      })),
      tenants: ops.map((id) => ({
        id: `${id}-t`,
        name: 't',
        homeOperator: id,
        residency: ['ANY'],
        budget: 0,
        region: 'r',
        location: { lat: 0, lon: 0 },
      })),
      rateCards: ops.map((operator) => ({
        operator,
        model: 'm',
        effectiveFrom: '1970-01-01T00:00:00.000Z',
        retail: CARD,
        wholesale: CARD,
      })),
      agreements,
    }),
  );
}
