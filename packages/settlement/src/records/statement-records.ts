/**
 * The usage records behind a version-2 statement's lines, derived again from the usage streams
 * instead of stored: a line's records are those of the tenants whose home operator is its debtor,
 * posted in the statement's read window ([period start, closedAt)), that classify into the line's
 * key exactly as the settlement run did. They come in leaf order (tenants by id, stream order), so
 * the line's Merkle root can be rebuilt and an inclusion proof made in one pass, in O(log n) memory.
 */
import { FederaError, type StoredUsageRecord, type TopologyIndex } from '@federa/domain';
import type { UsageReader } from '../archive/usage-archive';
import { compareStreamIds, streamIdMs } from '../archive/stream-ids';
import { classify, lineKeyOf, statementLineKey, type SettleInput, type StatementPayload } from '../statement';
import { ScheduleMembership, fixedSchedule, scheduleOf, type Schedule } from '../calendar/schedule';
import { tenantsInReadOrder } from './read-order';

export interface StatementRecord {
  readonly lineNo: number;
  /** `${tenant}/${streamId}`: the Merkle leaf */
  readonly ref: string;
  readonly record: StoredUsageRecord;
}

export interface DerivationContext {
  readonly topology: TopologyIndex;
  /** the period length the statement was settled with (a late record's original period) */
  readonly periodMs: number;
  /** the federation's default schedule (absent: fixed `periodMs`): a pair's schedule without agreement */
  readonly schedule?: Schedule | undefined;
}

/** Split `${tenant}/${streamId}` (tenant ids may hold '/', stream ids never do). */
export function parseRecordRef(ref: string): { tenantId: string; recordId: string } {
  const at = ref.lastIndexOf('/');
  const tenantId = ref.slice(0, at);
  const recordId = ref.slice(at + 1);
  if (at <= 0 || !/^\d+-\d+$/.test(recordId))
    throw new FederaError('VALIDATION_FAILED', `'${ref}' is not a record reference (tenant/stream-id)`);
  return { tenantId, recordId };
}

/** What the settlement run saw: the period, its read window and the statement's record lines. */
function settleInputOf(ctx: DerivationContext, payload: StatementPayload): SettleInput {
  const startMs = Date.parse(payload.period.start);
  const endMs = Date.parse(payload.period.end);
  const { unit, timeZone } = payload.period;
  const period = {
    id: payload.period.id,
    startMs,
    endMs,
    ...(unit ? { unit } : {}),
    ...(timeZone ? { timeZone } : {}),
  };
  const schedule = scheduleOf(period);
  return {
    federation: payload.federation,
    period,
    // a late record's original period is named in the statement's own schedule
    schedule,
    // only the records whose own schedule (by their time) is the statement's: a pair that switched
    // schedule has records of the same line key in the other schedule's straddling period
    membership: new ScheduleMembership(ctx.topology, ctx.schedule ?? fixedSchedule(ctx.periodMs), schedule),
    graceMs: Date.parse(payload.closedAt) - endMs,
    settlementCurrency: payload.settlementCurrency,
    fx: [],
    topology: ctx.topology,
    periodMs: ctx.periodMs,
  };
}

/** The line (number) of this statement a record counts in, or null. */
export function lineMatcher(ctx: DerivationContext, payload: StatementPayload, lineNo?: number) {
  const input = settleInputOf(ctx, payload);
  const lines = new Map<string, number>();
  for (const l of payload.lines)
    if ((l.kind === 'usage' || l.kind === 'late-usage') && (lineNo === undefined || l.lineNo === lineNo))
      lines.set(statementLineKey(l), l.lineNo);
  const debtors = new Set(payload.lines.filter((l) => lines.has(statementLineKey(l))).map((l) => l.debtor));
  const tenants = tenantsInReadOrder(
    ctx.topology.topology.tenants.filter((t) => debtors.has(t.homeOperator)),
  );
  const lineOf = (record: StoredUsageRecord): number | null => {
    const kind = classify(input, record, streamIdMs(record.recordId));
    if (kind !== 'usage' && kind !== 'late-usage') return null;
    return lines.get(lineKeyOf(input, record, kind, Date.parse(record.completedAt)).key) ?? null;
  };
  return { input, tenants, lineOf, windowEndMs: Date.parse(payload.closedAt) };
}

/**
 * The records of one line (or all record lines) of a version-2 statement in leaf order, resuming
 * after the record reference `after` when given (a cursor: stable while new usage is appended).
 */
export async function* statementRecords(
  reader: UsageReader,
  ctx: DerivationContext,
  payload: StatementPayload,
  opts: { lineNo?: number | undefined; after?: string | undefined } = {},
): AsyncGenerator<StatementRecord> {
  if (payload.version !== 2)
    throw new FederaError('VALIDATION_FAILED', 'only version-2 statements derive their records');
  const { input, tenants, lineOf, windowEndMs } = lineMatcher(ctx, payload, opts.lineNo);
  const after = opts.after === undefined ? null : parseRecordRef(opts.after);
  for (const tenantId of tenants) {
    if (after && tenantId < after.tenantId) continue;
    const resume = after && tenantId === after.tenantId ? after.recordId : null;
    const fromMs = Math.max(input.period.startMs, resume ? streamIdMs(resume) : 0);
    for await (const record of reader.between(tenantId, fromMs, windowEndMs, 5000)) {
      if (resume && compareStreamIds(record.recordId, resume) <= 0) continue;
      const lineNo = lineOf(record);
      if (lineNo !== null) yield { lineNo, ref: `${tenantId}/${record.recordId}`, record };
    }
  }
}
