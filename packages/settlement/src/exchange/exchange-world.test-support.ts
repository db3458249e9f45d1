/**
 * A small federation for the exchange tests: operators, their tenants and wholesale cards, records
 * between them over a two-day period, settled into signed statements the way the engine does it.
 */
import { TopologyIndex, parseTopology, type StoredUsageRecord } from '@federa/domain';
import { generateClearingKey, signStatement, type ClearingKey } from '../signing';
import { PeriodAggregator } from '../period-aggregator';
import {
  buildStatements,
  type SettleInput,
  type StatementPayload,
  classify,
  lineKeyOf,
  statementLineKey,
} from '../statement';
import type { ExchangeSource } from './files';
import { wholesalePriceOf } from './statement-records';

export const OPS = ['opa', 'opb', 'opc'] as const;
export const MODELS = ['m-a', 'm-b'] as const;
const DAY = 86_400_000;
export const PERIOD = {
  id: '2026-03-28T00:00:00.000Z',
  startMs: Date.UTC(2026, 2, 28),
  endMs: Date.UTC(2026, 2, 30),
};

export const topology = new TopologyIndex(
  parseTopology({
    name: 'exchange',
    operators: OPS.map((id) => ({ id, name: id, country: 'DE', currency: 'EUR', rateCard: {} })),
    sites: OPS.map((o) => ({
      id: `${o}-s`,
      operator: o,
      jurisdiction: 'DE',
      city: 'x',
      location: { lat: 0, lon: 0 },
      endpoint: 'http://127.0.0.1:1',
      models: MODELS.map((id) => ({ id, capacity: 1 })),
    })),
    tenants: OPS.map((o) => ({
      id: `${o}-t`,
      name: 't',
      homeOperator: o,
      residency: ['ANY'],
      budget: 0,
      region: 'r',
      location: { lat: 0, lon: 0 },
    })),
    rateCards: OPS.flatMap((operator, i) =>
      MODELS.map((model, j) => ({
        operator,
        model,
        effectiveFrom: '1970-01-01T00:00:00.000Z',
        retail: { inputPer1M: 1, outputPer1M: 1 },
        wholesale: { inputPer1M: 100_000 + 7_919 * i + 13 * j, outputPer1M: 300_001 + 31 * i },
      })),
    ),
  }),
);

export interface GenRecord {
  readonly home: (typeof OPS)[number];
  readonly serving: (typeof OPS)[number];
  readonly model: (typeof MODELS)[number];
  /** ms after the period's start */
  readonly offsetMs: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export function toRecords(gen: readonly GenRecord[]): StoredUsageRecord[] {
  return gen.map((r, i) => {
    const at = new Date(PERIOD.startMs + (r.offsetMs % (2 * DAY))).toISOString();
    return {
      requestId: `req-${i}`,
      tenantId: `${r.home}-t`,
      homeOperator: r.home,
      servingOperator: r.serving,
      siteId: `${r.serving}-s`,
      jurisdiction: 'DE',
      model: r.model,
      inputTokens: r.inputTokens,
      outputTokens: r.outputTokens,
      currency: 'EUR',
      retailCharge: 0,
      wholesaleCharge: 0,
      policyVersion: 1,
      startedAt: at,
      completedAt: at,
      failedAttempts: 0,
      flags: [],
      recordId: `${PERIOD.startMs + 1}-${i}`,
    };
  });
}

/** the items one at a time, as a record source streams them */
function toAsync<T>(items: readonly T[]): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      let i = 0;
      return {
        next: (): Promise<IteratorResult<T>> =>
          Promise.resolve(
            i < items.length ? { value: items[i++]!, done: false } : { value: undefined, done: true },
          ),
      };
    },
  };
}

export interface SettledWorld {
  readonly key: ClearingKey;
  readonly statements: { payload: StatementPayload; jws: string; source: ExchangeSource }[];
}

/** Settle the records like the engine, sign each statement, and give each its exchange source. */
export async function settle(
  records: readonly StoredUsageRecord[],
  timeZone?: string,
  key?: ClearingKey,
): Promise<SettledWorld> {
  const input: SettleInput = {
    federation: 'exchange',
    period: PERIOD,
    graceMs: 0,
    settlementCurrency: 'EUR',
    fx: [],
    topology,
    periodMs: 2 * DAY,
  };
  const agg = new PeriodAggregator(input);
  for (const r of records) agg.add(r, PERIOD.startMs + 1);
  const clearing = key ?? (await generateClearingKey('exchange-test'));
  const statements = [];
  for (const built of buildStatements(input, agg.result())) {
    // a calendar period names its time zone (later statement versions); v1 payloads have none
    const payload = timeZone
      ? { ...built.payload, period: { ...built.payload.period, timeZone } }
      : built.payload;
    const jws = await signStatement(payload, clearing.privateJwk);
    // each record's line, as the aggregator keyed it; leaves in the order they were added
    const lineNoByKey = new Map(payload.lines.map((l) => [statementLineKey(l), l.lineNo]));
    const inOrder = records.flatMap((record) => {
      const kind = classify(input, record, PERIOD.startMs + 1);
      if (kind !== 'usage' && kind !== 'late-usage') return [];
      const lineNo = lineNoByKey.get(lineKeyOf(input, record, kind, Date.parse(record.completedAt)).key);
      return lineNo === undefined ? [] : [{ lineNo, record }];
    });
    const source: ExchangeSource = {
      payload,
      jws,
      priceOf: wholesalePriceOf(topology),
      records: (lineNo?: number) =>
        toAsync(inOrder.filter((r) => lineNo === undefined || r.lineNo === lineNo)),
    };
    statements.push({ payload, jws, source });
  }
  return { key: clearing, statements };
}
