/**
 * A period's lines, built as its usage records stream past: each record is classified and rated as
 * statement.ts defines it, and counted in its line (`lineKeyOf`) with its reference hashed into the
 * line's Merkle tree. Memory holds the lines and one streaming Merkle builder each (O(log n) hashes),
 * never the records: the records must come in read order (tenants by id, each tenant's stream in
 * order).
 *
 * `add` runs once per record of a settlement run (millions of them), so what only depends on the
 * record's (serving, home) pair — home usage or not, whether the pair settles in this run's schedule
 * (for a pair whose agreement changed schedule: from which instants on it does), the pair's usage
 * line for each model — is worked out on the pair's first record and kept. A usage
 * record then costs three small map lookups, one parse of its time, its rate and its leaf hash, and
 * builds no key strings; late usage (rare) still keys its line with `lineKeyOf`, which names the
 * record's own period.
 */
import type { StoredUsageRecord } from '@federa/domain';
import { settlesAt, type PairMembership } from './calendar/schedule';
import { MerkleBuilder } from './merkle-stream';
import { wholesaleCharge } from './records/wholesale-price';
import { SiteDisputeTally, type SiteUsageDispute } from './site-disputes';
import {
  classifyByTime,
  lineKeyOf,
  lineOrder,
  type Classification,
  type DisputeAdjustment,
  type Line,
  type SettleInput,
} from './statement';

type MutableLine = { -readonly [K in keyof Omit<Line, 'merkleRoot'>]: Omit<Line, 'merkleRoot'>[K] };

interface LineEntry {
  readonly line: MutableLine;
  readonly tree: MerkleBuilder;
}

/** What every record of one (serving, home) operator pair has in common. */
interface PairState {
  /** served by the tenant's home operator: nothing to settle */
  readonly home: boolean;
  /**
   * whether the pair's records settle in this run's schedule (otherwise another schedule's run
   * counts them): the answer for all of them, or null when the pair changed schedule and the
   * record's time decides (`membership`)
   */
  readonly settles: boolean | null;
  readonly membership: PairMembership | null;
  /** the pair's usage line of each model, once it has one (the same entries as `lines` holds) */
  readonly usageLines: Map<string, LineEntry>;
}

export class PeriodAggregator {
  /** every line by its key, in the order of their first record (adjustments last) */
  private readonly lines = new Map<string, LineEntry>();
  /** serving operator → home operator → what their records share */
  private readonly pairs = new Map<string, Map<string, PairState>>();
  private readonly disputes = new SiteDisputeTally();
  readonly counts = { usage: 0, lateUsage: 0, home: 0, outside: 0 };

  constructor(readonly input: SettleInput) {}

  /** Count the record in its line, if it is this run's; says which part of the settlement it is. */
  add(record: StoredUsageRecord, postedAtMs: number): Classification {
    const pair = this.pairOf(record.servingOperator, record.homeOperator);
    if (pair.home) {
      this.counts.home++;
      return 'home';
    }
    if (pair.settles === false) {
      this.counts.outside++;
      return 'outside';
    }
    const atMs = Date.parse(record.completedAt);
    // a pair whose agreement changed schedule: the agreement in force at the record's time decides
    if (pair.settles === null && !settlesAt(pair.membership!, atMs)) {
      this.counts.outside++;
      return 'outside';
    }
    const kind = classifyByTime(this.input, atMs, postedAtMs);
    if (kind === 'outside') {
      this.counts.outside++;
      return kind;
    }
    if (kind === 'usage') this.counts.usage++;
    else this.counts.lateUsage++;
    const card = this.input.topology.rateAt(record.servingOperator, record.model, atMs);
    if (!card)
      throw new Error(
        `no wholesale price for ${record.model} at ${record.servingOperator} on ${record.completedAt}`,
      );
    const amount = wholesaleCharge(card.wholesale, record.inputTokens, record.outputTokens);
    const entry = kind === 'usage' ? this.usageLine(pair, record, atMs) : this.lineOf(record, kind, atMs);
    const line = entry.line;
    line.records++;
    line.inputTokens += record.inputTokens;
    line.outputTokens += record.outputTokens;
    line.amount += amount;
    entry.tree.add(`${record.tenantId}/${record.recordId}`);
    this.disputes.add(record);
    return kind;
  }

  private pairOf(serving: string, home: string): PairState {
    let byHome = this.pairs.get(serving);
    if (!byHome) this.pairs.set(serving, (byHome = new Map<string, PairState>()));
    let pair = byHome.get(home);
    if (!pair) {
      const isHome = serving === home;
      const membership = isHome || !this.input.membership ? null : this.input.membership.of(serving, home);
      pair = {
        home: isHome,
        settles: isHome ? false : membership ? membership.always : true,
        membership,
        usageLines: new Map<string, LineEntry>(),
      };
      byHome.set(home, pair);
    }
    return pair;
  }

  private usageLine(pair: PairState, record: StoredUsageRecord, atMs: number): LineEntry {
    let entry = pair.usageLines.get(record.model);
    if (!entry) {
      entry = this.lineOf(record, 'usage', atMs);
      pair.usageLines.set(record.model, entry);
    }
    return entry;
  }

  /** the record's line by its key, opened on its first record */
  private lineOf(record: StoredUsageRecord, kind: 'usage' | 'late-usage', atMs: number): LineEntry {
    const { key, originalPeriod } = lineKeyOf(this.input, record, kind, atMs);
    let entry = this.lines.get(key);
    if (!entry) {
      entry = {
        line: {
          kind,
          creditor: record.servingOperator,
          debtor: record.homeOperator,
          model: record.model,
          originalPeriod,
          records: 0,
          inputTokens: 0,
          outputTokens: 0,
          amount: 0,
          currency: this.input.topology.operator(record.servingOperator).currency,
          reference: null,
        },
        tree: new MerkleBuilder(),
      };
      this.lines.set(key, entry);
    }
    return entry;
  }

  /** the site-usage disputes, in a fixed order */
  siteDisputes(): SiteUsageDispute[] {
    return this.disputes.result();
  }

  addAdjustment(adj: DisputeAdjustment): void {
    const key = [
      'dispute-adjustment',
      adj.creditor,
      adj.debtor,
      '',
      adj.originalPeriod,
      adj.statementId,
    ].join('|');
    this.lines.set(key, {
      line: {
        kind: 'dispute-adjustment',
        creditor: adj.creditor,
        debtor: adj.debtor,
        model: '',
        originalPeriod: adj.originalPeriod,
        records: 0,
        inputTokens: 0,
        outputTokens: 0,
        amount: adj.amount,
        currency: adj.currency ?? this.input.settlementCurrency,
        reference: adj.statementId,
      },
      tree: new MerkleBuilder(),
    });
  }

  result(): Line[] {
    return [...this.lines.values()]
      .map(({ line, tree }) => ({ ...line, merkleRoot: tree.root() }))
      .sort((a, b) => lineOrder(a).localeCompare(lineOrder(b)));
  }
}
