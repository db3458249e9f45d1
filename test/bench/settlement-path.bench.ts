/**
 * bench:settlement-path — the settlement's own share of a run, without Redis: the records of
 * bench:settlement's federation (BENCH_RECORDS, default 300,000) are held in memory, already parsed
 * as the ledger hands them out, and served by a stand-in ledger in pages, as `usageBetween` does. Each
 * round times (best of BENCH_ROUNDS, default 5, CPU microseconds per record):
 *
 * - `read`: iterating every tenant's records, what the baseline of bench:settlement does after parsing;
 * - `settle`: `computeStatements` over the same records (read order, classify, rate, aggregate, hash
 *   each line's Merkle tree, lay out the statements);
 * - `aggregate`: only `PeriodAggregator.add` over an array of the records (no iteration machinery).
 *
 * `settle - read` is what settling adds per record to reading: the part bench:settlement's
 * settle/read ratio depends on. Prints one JSON line.
 */
import { TopologyIndex, parseTopology, type StoredUsageRecord, type UsageRecord } from '@federa/domain';
import type { Ledger } from '@federa/ledger';
import { PeriodAggregator, computeStatements, periodOf, type SettlementStore } from '@federa/settlement';
import { HOUR, benchRecord, benchTopology, recordsPerTenant } from './settlement/world';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 300_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PAGE = 5000;

const period = periodOf(Date.UTC(2026, 0, 15, 10), HOUR);
const topology = new TopologyIndex(parseTopology(benchTopology('path')));

/** the records as the ledger's parser returns them: the posted record, its flags, its stream id */
const asStored = (record: UsageRecord, recordId: string): StoredUsageRecord => ({
  ...(JSON.parse(JSON.stringify(record)) as UsageRecord),
  flags: [...new Set(record.flags)],
  recordId,
});

const byTenant = new Map<string, StoredUsageRecord[]>();
const perTenant = recordsPerTenant(topology.topology, RECORDS);
for (const [ti, tenant] of topology.topology.tenants.entries()) {
  const records: StoredUsageRecord[] = [];
  for (let i = 0; i < perTenant && ti * perTenant + i < RECORDS; i++) {
    const { streamId, record } = benchRecord(topology.topology, period, ti, i, perTenant);
    records.push(asStored(record, streamId));
  }
  byTenant.set(tenant.id, records);
}
const all = [...byTenant.values()].flat();

/** `usageBetween` over the in-memory records: one page per await, as each XRANGE is one */
async function* usageBetween(tenantId: string, fromMs: number, toMs: number, pageSize = 1000) {
  const records = byTenant.get(tenantId) ?? [];
  for (let at = 0; at < records.length; at += pageSize) {
    const page = await Promise.resolve(records.slice(at, at + pageSize));
    for (const record of page) {
      const ms = Number(record.recordId.slice(0, record.recordId.indexOf('-')));
      if (ms >= fromMs && ms < toMs) yield record;
    }
  }
}
const ledger = { usageBetween } as unknown as Ledger;
const store = { adjustmentsFor: () => Promise.resolve([]) } as unknown as SettlementStore;
const config = { federation: 'bench', periodMs: HOUR, graceMs: 60_000, settlementCurrency: 'EUR' };

/** CPU microseconds (user + system) per record of one call of `work` */
async function cpuPerRecord(work: () => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  await work();
  const { user, system } = process.cpuUsage(start);
  return (user + system) / all.length;
}

const read = async () => {
  let n = 0;
  for (const tenant of topology.topology.tenants)
    for await (const _ of usageBetween(tenant.id, period.startMs, period.endMs + config.graceMs, PAGE)) n++;
  if (n !== all.length) throw new Error(`read ${n} of ${all.length} records`);
};
const settle = () =>
  computeStatements({ ledger, store, topology: () => Promise.resolve(topology), config }, period.id);
const aggregate = () => {
  const agg = new PeriodAggregator({
    ...config,
    period,
    topology,
    fx: topology.topology.fxRates,
  });
  for (const record of all) agg.add(record, Number(record.recordId.slice(0, record.recordId.indexOf('-'))));
  return Promise.resolve(agg.result());
};

const best = { read: Infinity, settle: Infinity, aggregate: Infinity };
for (let round = 0; round < ROUNDS; round++) {
  best.read = Math.min(best.read, await cpuPerRecord(read));
  best.settle = Math.min(best.settle, await cpuPerRecord(settle));
  best.aggregate = Math.min(best.aggregate, await cpuPerRecord(aggregate));
}
const round2 = (x: number) => Math.round(x * 100) / 100;
console.log(
  JSON.stringify({
    bench: 'settlement-path',
    records: all.length,
    rounds: ROUNDS,
    cpu_us_per_record: {
      read: round2(best.read),
      settle: round2(best.settle),
      aggregate: round2(best.aggregate),
      settle_minus_read: round2(best.settle - best.read),
    },
  }),
);
