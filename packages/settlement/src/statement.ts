/**
 * Roaming-style settlement of one period, as pure functions over usage records: rate each record
 * with the serving operator's wholesale card in force at the record's time, aggregate per
 * (creditor, debtor, model), convert to the settlement currency, net each operator pair, and lay
 * out one statement per pair. Deterministic: the same records give byte-identical statements. The
 * records stream through period-aggregator.ts, which applies these definitions record by record.
 */
import type { StoredUsageRecord, TopologyIndex } from '@federa/domain';
import { periodIn, fixedSchedule, type Schedule, type ScheduleMembership } from './calendar/schedule';
import type { CalendarUnit } from './calendar/periods';
import { convertToMinorUnits, printedRate, settleAmounts } from './currency/settle-amounts';
import { DEFAULT_DISPUTE_WINDOW_DAYS, disputeDeadline } from './dispute-window';
import { rateAt, type FxRate } from './money';
import { disputesOf, type SiteUsageDispute } from './site-disputes';

export interface Period {
  /** ISO time of the start (fixed periods) or a calendar id, e.g. `2026-11@Europe/Paris` */
  readonly id: string;
  readonly startMs: number;
  readonly endMs: number;
  /** 'fixed' for fixed-length periods (absent on periods built by hand: fixed) */
  readonly unit?: CalendarUnit | 'fixed';
  /** the calendar's IANA time zone ('UTC' for fixed periods) */
  readonly timeZone?: string;
}

/** The fixed-length, epoch-aligned period (an hour, a day…) `ms` falls in. */
export function periodOf(ms: number, periodMs: number): Period {
  return periodIn(fixedSchedule(periodMs), ms);
}

export type LineKind = 'usage' | 'late-usage' | 'dispute-adjustment';

export interface Line {
  readonly kind: LineKind;
  readonly creditor: string;
  readonly debtor: string;
  readonly model: string;
  /** for late usage and dispute adjustments: the period the amount belongs to */
  readonly originalPeriod: string | null;
  readonly records: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** in the creditor's currency, minor units */
  readonly amount: number;
  readonly currency: string;
  /**
   * Merkle root over the `${tenant}/${streamId}` of the line's records in read order: tenants by
   * id, then each tenant's stream order (`recordOrder: 'tenant-stream'`), built as they stream past
   */
  readonly merkleRoot: string;
  /** for dispute adjustments: the statement the resolution refers to */
  readonly reference: string | null;
}

export interface DisputeAdjustment {
  readonly statementId: string;
  readonly originalPeriod: string;
  readonly creditor: string;
  readonly debtor: string;
  /** settlement currency, minor units */
  readonly amount: number;
  /** the disputed statement's settlement currency (absent on adjustments resolved before version 2) */
  readonly currency?: string;
}

export interface SettleInput {
  readonly federation: string;
  readonly period: Period;
  readonly graceMs: number;
  readonly settlementCurrency: string;
  readonly fx: readonly FxRate[];
  readonly topology: TopologyIndex;
  /** periods are needed to name where a late record belongs */
  readonly periodMs: number;
  /** the run's schedule (absent: fixed `periodMs`): late usage names its period in it */
  readonly schedule?: Schedule;
  /** the records that settle on the run's schedule, by pair and record time (absent: every one) */
  readonly membership?: ScheduleMembership;
}

export type Classification = 'usage' | 'late-usage' | 'home' | 'outside';

/**
 * Which part of a period's settlement a record belongs to. The run for period P reads records posted
 * in [P.start, P.end + grace): those whose record time is in P are its usage; those whose record time
 * is before P and that were posted after the previous run's window closed are late usage, settled
 * here as adjustments naming their own period. Everything else belongs to another run.
 */
export function classify(input: SettleInput, record: StoredUsageRecord, postedAtMs: number): Classification {
  if (record.servingOperator === record.homeOperator) return 'home';
  const atMs = Date.parse(record.completedAt);
  // a record settles only in its own schedule's periods (the schedule of the pair's agreement in
  // force at the record's time): another schedule's run counts it elsewhere
  if (input.membership && !input.membership.includes(record.servingOperator, record.homeOperator, atMs))
    return 'outside';
  return classifyByTime(input, atMs, postedAtMs);
}

/**
 * `classify` for a roaming record of a pair that settles in this run's schedule, from the record's
 * time and the time it was posted: the aggregator parses a record's time once, for this and its rate.
 */
export function classifyByTime(
  input: SettleInput,
  atMs: number,
  postedAtMs: number,
): 'usage' | 'late-usage' | 'outside' {
  const { period, graceMs } = input;
  if (atMs >= period.startMs && atMs < period.endMs) return 'usage';
  if (atMs < period.startMs && postedAtMs >= period.startMs + graceMs && postedAtMs < period.endMs + graceMs)
    return 'late-usage';
  return 'outside';
}

/**
 * The line a usage or late-usage record counts in: (kind, creditor, debtor, model, original period).
 * The aggregator and the derivation of a line's records (records/statement-records.ts) both key by
 * it, so a line's records can be found again from the usage streams without being stored.
 */
export function lineKeyOf(
  input: SettleInput,
  record: StoredUsageRecord,
  kind: 'usage' | 'late-usage',
  atMs: number,
): { key: string; originalPeriod: string | null } {
  const originalPeriod =
    kind === 'late-usage' ? periodIn(input.schedule ?? fixedSchedule(input.periodMs), atMs).id : null;
  return {
    key: `${kind}|${record.servingOperator}|${record.homeOperator}|${record.model}|${originalPeriod ?? ''}`,
    originalPeriod,
  };
}

/** The key of a statement line as `lineKeyOf` names it (usage and late-usage lines). */
export const statementLineKey = (l: {
  kind: LineKind;
  creditor: string;
  debtor: string;
  model: string;
  originalPeriod: string | null;
}) => `${l.kind}|${l.creditor}|${l.debtor}|${l.model}|${l.originalPeriod ?? ''}`;

const KIND_ORDER: Record<LineKind, number> = { usage: 0, 'late-usage': 1, 'dispute-adjustment': 2 };

/** How a period's lines are ordered on its statements: usage, then late usage, then adjustments. */
export function lineOrder(l: Line): string {
  return [KIND_ORDER[l.kind], l.creditor, l.debtor, l.model, l.originalPeriod ?? '', l.reference ?? ''].join(
    '|',
  );
}

export interface StatementLine {
  readonly lineNo: number;
  readonly kind: LineKind;
  readonly creditor: string;
  readonly debtor: string;
  readonly model: string;
  readonly originalPeriod: string | null;
  readonly reference: string | null;
  readonly records: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly amount: number;
  readonly currency: string;
  readonly fx: PrintedRate;
  /** in the settlement currency: whole minor units (version 2), remainders carried (settle-amounts.ts) */
  readonly settledAmount: number;
  /**
   * Merkle root over the line's record references: sorted in version 1, in read order
   * (`recordOrder: 'tenant-stream'`) from version 2
   */
  readonly merkleRoot: string;
}

/** a rate as a statement prints it; `source` since version 2 */
export interface PrintedRate {
  readonly rate: string;
  readonly rateMicros: number;
  readonly source?: string;
  readonly effectiveFrom: string;
}

export interface StatementPayload {
  readonly type: 'federa.settlement.statement';
  /**
   * 2 since issue 13: the period names its unit and time zone (calendar periods); the pair's agreed
   * currency, whole minor units, the net in the payee's currency and the dispute deadline; record
   * references derived from the usage streams, in read order (`recordOrder`), not stored
   */
  readonly version: 1 | 2;
  /** version 2: leaves are ordered by tenant id, then each tenant's stream order */
  readonly recordOrder?: 'tenant-stream';
  readonly statementId: string;
  readonly federation: string;
  readonly period: {
    readonly id: string;
    readonly start: string;
    readonly end: string;
    /** version 2: 'fixed', 'day', 'week' or 'month' */
    readonly unit?: CalendarUnit | 'fixed';
    /** version 2: the calendar's IANA time zone ('UTC' for fixed periods) */
    readonly timeZone?: string;
  };
  readonly closedAt: string;
  readonly settlementCurrency: string;
  readonly parties: readonly [string, string];
  readonly lines: readonly StatementLine[];
  /** gross amounts before netting: what each party owes the other */
  readonly owed: readonly { readonly debtor: string; readonly creditor: string; readonly amount: number }[];
  readonly net: { readonly payer: string | null; readonly payee: string | null; readonly amount: number };
  /** version 2: the net converted once into the payee's own currency (null when nothing is owed) */
  readonly netInPayeeCurrency?: {
    readonly currency: string;
    readonly amount: number;
    readonly fx: PrintedRate;
  } | null;
  /** version 2: the last instant either party may dispute; after it the statement is final */
  readonly disputeDeadline?: string;
  /** present only when a site's figures were disputed in the period (older statements lack it) */
  readonly siteUsageDisputes?: readonly SiteUsageDispute[];
}

export function statementId(periodId: string, a: string, b: string): string {
  const [x, y] = a < b ? [a, b] : [b, a];
  return `${periodId}/${x}~${y}`;
}

/** One statement per operator pair that has any line in the period. */
export function buildStatements(
  input: SettleInput,
  lines: readonly Line[],
  siteDisputes: readonly SiteUsageDispute[] = [],
): { payload: StatementPayload; lines: readonly Line[] }[] {
  const byPair = new Map<string, Line[]>();
  for (const l of lines) {
    const [a, b] = l.creditor < l.debtor ? [l.creditor, l.debtor] : [l.debtor, l.creditor];
    const key = `${a}~${b}`;
    byPair.set(key, [...(byPair.get(key) ?? []), l]);
  }
  const { period } = input;
  return [...byPair.entries()]
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([key, pairLines]) => {
      const [a, b] = key.split('~') as [string, string];
      // the agreement the pair settled this period's records under (agreements are effective-dated)
      const agreement = input.membership
        ? input.membership.agreementFor(a, b, period)
        : input.topology.agreement(a, b, period.endMs - 1);
      // the pair's agreed currency, else the federation's; rates as in force when the period ends
      const currency = agreement?.currency ?? input.settlementCurrency;
      const rateOf = (from: string) => rateAt(input.fx, from, currency, period.endMs);
      const settled = settleAmounts(pairLines, currency, rateOf);
      const stmtLines: StatementLine[] = pairLines.map((l, i) => ({
        lineNo: i + 1,
        kind: l.kind,
        creditor: l.creditor,
        debtor: l.debtor,
        model: l.model,
        originalPeriod: l.originalPeriod,
        reference: l.reference,
        records: l.records,
        inputTokens: l.inputTokens,
        outputTokens: l.outputTokens,
        amount: l.amount,
        currency: l.currency,
        fx: printedRate(rateOf(l.currency)),
        settledAmount: settled[i]!,
        merkleRoot: l.merkleRoot,
      }));
      const owes = (debtor: string) =>
        stmtLines.filter((l) => l.debtor === debtor).reduce((s, l) => s + l.settledAmount, 0);
      const aOwes = owes(a);
      const bOwes = owes(b);
      const net = netOf(a, b, aOwes - bOwes);
      const closedAt = new Date(period.endMs + input.graceMs).toISOString();
      const payload: StatementPayload = {
        type: 'federa.settlement.statement',
        version: 2,
        recordOrder: 'tenant-stream',
        statementId: statementId(period.id, a, b),
        federation: input.federation,
        period: {
          id: period.id,
          start: new Date(period.startMs).toISOString(),
          end: new Date(period.endMs).toISOString(),
          unit: period.unit ?? 'fixed',
          timeZone: period.timeZone ?? 'UTC',
        },
        closedAt,
        settlementCurrency: currency,
        parties: [a, b],
        lines: stmtLines,
        owed: [
          { debtor: a, creditor: b, amount: aOwes },
          { debtor: b, creditor: a, amount: bOwes },
        ],
        net,
        netInPayeeCurrency: inPayeeCurrency(input, net, currency),
        disputeDeadline: disputeDeadline(
          closedAt,
          agreement?.disputeWindowDays ?? DEFAULT_DISPUTE_WINDOW_DAYS,
          agreement?.timeZone ?? 'UTC',
        ),
        ...disputesOf(siteDisputes, a, b),
      };
      return { payload, lines: pairLines };
    });
}

function netOf(a: string, b: string, aMinusB: number): StatementPayload['net'] {
  if (aMinusB === 0) return { payer: null, payee: null, amount: 0 };
  return aMinusB > 0 ? { payer: a, payee: b, amount: aMinusB } : { payer: b, payee: a, amount: -aMinusB };
}

/** The payee's position in its own currency: the net converted once, half to even, rate printed. */
function inPayeeCurrency(input: SettleInput, net: StatementPayload['net'], from: string) {
  if (net.payee === null) return null;
  const to = input.topology.operator(net.payee).currency;
  const fx = rateAt(input.fx, from, to, input.period.endMs);
  return { currency: to, amount: convertToMinorUnits(net.amount, fx.rateMicros, to), fx: printedRate(fx) };
}
