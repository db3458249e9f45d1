/**
 * Roaming traffic an operator served for other operators' tenants, from the signed statements it is
 * a party to: a usage (or late-usage) line whose creditor is the operator is traffic its sites
 * served for the debtor's tenants. Dispute adjustments are money, not traffic, and are left out.
 */

export interface TrafficLine {
  readonly kind: 'usage' | 'late-usage' | 'dispute-adjustment';
  readonly creditor: string;
  readonly debtor: string;
  readonly model: string;
  readonly originalPeriod: string | null;
  readonly records: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly settledAmount: number;
}

export interface TrafficStatement {
  readonly statementId: string;
  readonly period: { readonly id: string };
  readonly settlementCurrency: string;
  readonly lines: readonly TrafficLine[];
}

export interface TrafficTotals {
  readonly requests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** settled amount, minor units of `currency` */
  readonly amount: number;
}

export interface TrafficRow extends TrafficTotals {
  /** the home operator whose tenants were served */
  readonly homeOperator: string;
  readonly period: string;
  readonly model: string;
  readonly currency: string;
}

export interface TrafficReport {
  readonly rows: readonly TrafficRow[];
  /** per period (oldest first): requests per home operator, for a stacked chart */
  readonly byPeriod: readonly { readonly period: string; readonly [homeOperator: string]: number | string }[];
  readonly homeOperators: readonly string[];
  readonly byPartner: readonly (TrafficTotals & {
    readonly homeOperator: string;
    readonly currency: string;
  })[];
  readonly total: TrafficTotals;
  readonly currencies: readonly string[];
}

const ZERO: TrafficTotals = { requests: 0, inputTokens: 0, outputTokens: 0, amount: 0 };

function add(a: TrafficTotals, l: TrafficLine): TrafficTotals {
  return {
    requests: a.requests + l.records,
    inputTokens: a.inputTokens + l.inputTokens,
    outputTokens: a.outputTokens + l.outputTokens,
    amount: a.amount + l.settledAmount,
  };
}

export function servedForOthers(me: string, statements: readonly TrafficStatement[]): TrafficReport {
  const rows = new Map<string, TrafficRow>();
  const partners = new Map<string, TrafficTotals & { homeOperator: string; currency: string }>();
  const periods = new Map<string, Record<string, number>>();
  let total = ZERO;
  const currencies = new Set<string>();
  for (const st of statements) {
    for (const l of st.lines) {
      if (l.kind === 'dispute-adjustment' || l.creditor !== me || l.debtor === me) continue;
      // late usage belongs to the period it was served in, not the one that settled it
      const period = l.originalPeriod ?? st.period.id;
      const currency = st.settlementCurrency;
      const key = JSON.stringify([l.debtor, period, l.model, currency]);
      const row = rows.get(key) ?? { homeOperator: l.debtor, period, model: l.model, currency, ...ZERO };
      rows.set(key, { ...row, ...add(row, l) });
      const pKey = `${l.debtor}\u0000${currency}`;
      const partner = partners.get(pKey) ?? { homeOperator: l.debtor, currency, ...ZERO };
      partners.set(pKey, { ...partner, ...add(partner, l) });
      const perPeriod = periods.get(period) ?? {};
      perPeriod[l.debtor] = (perPeriod[l.debtor] ?? 0) + l.records;
      periods.set(period, perPeriod);
      total = add(total, l);
      currencies.add(currency);
    }
  }
  const homeOperators = [...new Set([...partners.values()].map((p) => p.homeOperator))].sort();
  return {
    rows: [...rows.values()].sort(
      (a, b) =>
        b.period.localeCompare(a.period) ||
        a.homeOperator.localeCompare(b.homeOperator) ||
        a.model.localeCompare(b.model),
    ),
    byPeriod: [...periods.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([period, counts]) => ({
        period,
        ...Object.fromEntries(homeOperators.map((h) => [h, counts[h] ?? 0])),
      })),
    homeOperators,
    byPartner: [...partners.values()].sort(
      (a, b) => b.requests - a.requests || a.homeOperator.localeCompare(b.homeOperator),
    ),
    total,
    currencies: [...currencies].sort(),
  };
}
