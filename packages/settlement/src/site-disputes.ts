/**
 * Site-usage disputes in settlement. The ledger bills the federation's own token counts; when the
 * serving site reported other figures it flags the record and keeps the site's figures beside it.
 * Settlement does not price those figures: it lists them, per (creditor, debtor, model), so the
 * operators see how far the site's claim and the bill diverged.
 */
import type { StoredUsageRecord } from '@federa/domain';

/**
 * Records whose serving site reported other token counts than the federation billed (flagged by the
 * ledger), summed per (creditor, debtor, model). Informational: lines are priced on billed tokens
 * only, and this section is derived from the same records, so the statement stays deterministic.
 */
export interface SiteUsageDispute {
  readonly creditor: string;
  readonly debtor: string;
  readonly model: string;
  readonly records: number;
  readonly billed: { readonly inputTokens: number; readonly outputTokens: number };
  readonly siteReported: { readonly inputTokens: number; readonly outputTokens: number };
}

/** flags the ledger sets when a site's figures were not taken as reported */
export const SITE_DISPUTE_FLAGS = ['SITE_USAGE_DISPUTED', 'OUTPUT_CLAMPED'] as const;

export class SiteDisputeTally {
  private readonly byKey = new Map<string, SiteUsageDispute>();

  /** count the record if its site's figures were disputed (flagged, with the site's figures kept) */
  add(record: StoredUsageRecord): void {
    // asked of every record of a run, and most have no flags: that is the cheaper question (a
    // property every record has) to ask before looking for site figures most records lack
    if (record.flags.length === 0) return;
    const site = record.siteReported;
    if (!site || !record.flags.some((f) => (SITE_DISPUTE_FLAGS as readonly string[]).includes(f))) return;
    const key = [record.servingOperator, record.homeOperator, record.model].join('|');
    // the ledger keeps -1 where the site's figure was not a count at all: it claims nothing there
    const claimed = (n: number) => Math.max(0, n);
    const d = this.byKey.get(key);
    this.byKey.set(key, {
      creditor: record.servingOperator,
      debtor: record.homeOperator,
      model: record.model,
      records: (d?.records ?? 0) + 1,
      billed: {
        inputTokens: (d?.billed.inputTokens ?? 0) + record.inputTokens,
        outputTokens: (d?.billed.outputTokens ?? 0) + record.outputTokens,
      },
      siteReported: {
        inputTokens: (d?.siteReported.inputTokens ?? 0) + claimed(site.inputTokens),
        outputTokens: (d?.siteReported.outputTokens ?? 0) + claimed(site.outputTokens),
      },
    });
  }

  /** in a fixed order, so the statement is deterministic */
  result(): SiteUsageDispute[] {
    const order = (d: SiteUsageDispute) => [d.creditor, d.debtor, d.model].join('|');
    return [...this.byKey.values()].sort((a, b) => order(a).localeCompare(order(b)));
  }
}

/** The part of a statement between `a` and `b`: absent when there is none (older statements unchanged). */
export function disputesOf(all: readonly SiteUsageDispute[], a: string, b: string) {
  const mine = all.filter(
    (d) => (d.creditor === a && d.debtor === b) || (d.creditor === b && d.debtor === a),
  );
  return mine.length > 0 ? { siteUsageDisputes: mine } : {};
}
