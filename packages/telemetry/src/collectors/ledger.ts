/**
 * The ledger's state gauges, read from Redis at scrape time (never per request): pending holds
 * (count and money), the oldest pending hold's age and budget utilisation, per tenant of the
 * topology. Tenants beyond FEDERA_METRICS_MAX_TENANTS fold into tenant="other" (LabelCap).
 *
 * Holds carry their expiry, not their birth: every hold is reserved for the routing policy's hold
 * TTL (extensions do not move it), so the oldest hold is the one expiring first and its age is
 * now − (expiry − TTL). A hold older than its TTL is stuck (the sweeper has not expired it).
 */
import type { LedgerMetrics } from '../metrics/catalogue';
import { LabelCap } from '../metrics/registry';

/** One tenant's figures as the ledger has them (minor units of its home currency). */
export interface TenantLedgerReading {
  readonly tenantId: string;
  readonly currency: string;
  readonly budget: number;
  /** posted + overage this period (prepaid: so far) */
  readonly spent: number;
  /** money held by pending holds */
  readonly held: number;
  readonly pendingCount: number;
  readonly firstExpiresAt: number | null;
}

export interface LedgerGaugeRow {
  readonly tenant: string;
  readonly pendingCount: number;
  /** currency → money held */
  readonly held: ReadonlyMap<string, number>;
  readonly oldestAgeSeconds: number;
  readonly utilisation: number;
}

const utilisation = (r: TenantLedgerReading) =>
  r.budget > 0 ? (r.spent + r.held) / r.budget : r.spent + r.held > 0 ? 1 : 0;

/**
 * Fold readings into gauge rows, one per tenant label: a folded label ("other") sums counts and
 * money (per currency) and shows the oldest hold and the highest utilisation among its tenants.
 */
export function ledgerGaugeRows(
  readings: readonly TenantLedgerReading[],
  cap: LabelCap,
  nowMs: number,
  holdTtlMs: number,
): LedgerGaugeRow[] {
  const rows = new Map<
    string,
    { pendingCount: number; held: Map<string, number>; oldestAgeSeconds: number; utilisation: number }
  >();
  for (const r of readings) {
    const tenant = cap.label(r.tenantId);
    const row = rows.get(tenant) ?? { pendingCount: 0, held: new Map(), oldestAgeSeconds: 0, utilisation: 0 };
    row.pendingCount += r.pendingCount;
    row.held.set(r.currency, (row.held.get(r.currency) ?? 0) + r.held);
    if (r.firstExpiresAt !== null)
      row.oldestAgeSeconds = Math.max(
        row.oldestAgeSeconds,
        (nowMs - (r.firstExpiresAt - holdTtlMs)) / 1000,
        0,
      );
    row.utilisation = Math.max(row.utilisation, utilisation(r));
    rows.set(tenant, row);
  }
  return [...rows].map(([tenant, row]) => ({ tenant, ...row }));
}

/** What the collector reads: the topology's tenants and the ledger's figures for one tenant. */
export interface LedgerStateSource {
  readonly topology: () => Promise<{
    readonly topology: {
      readonly tenants: readonly { readonly id: string; readonly homeOperator: string }[];
      readonly operators: readonly { readonly id: string; readonly currency: string }[];
      readonly routing: { readonly holdTtlMs: number };
    };
  }>;
  readonly account: (
    tenantId: string,
  ) => Promise<{ budget: number; posted: number; overage: number; pending: number }>;
  readonly pendingSummary: (tenantId: string) => Promise<{ count: number; firstExpiresAt: number | null }>;
}

export function ledgerCollector(opts: {
  readonly metrics: LedgerMetrics;
  readonly source: LedgerStateSource;
  readonly maxTenants: number;
  readonly clock?: () => number;
}): () => Promise<void> {
  const cap = new LabelCap(opts.maxTenants);
  const { metrics, source } = opts;
  return async () => {
    const { topology } = await source.topology();
    const currency = new Map(topology.operators.map((o) => [o.id, o.currency]));
    const readings = await Promise.all(
      topology.tenants.map(async (t): Promise<TenantLedgerReading> => {
        const [account, pending] = await Promise.all([source.account(t.id), source.pendingSummary(t.id)]);
        return {
          tenantId: t.id,
          currency: currency.get(t.homeOperator) ?? 'XXX',
          budget: account.budget,
          spent: account.posted + account.overage,
          held: account.pending,
          pendingCount: pending.count,
          firstExpiresAt: pending.firstExpiresAt,
        };
      }),
    );
    const rows = ledgerGaugeRows(readings, cap, (opts.clock ?? Date.now)(), topology.routing.holdTtlMs);
    // everything was read: only now replace the last values (a failed read keeps them)
    for (const g of [
      metrics.holdsPending,
      metrics.holdsPendingAmount,
      metrics.oldestHoldAge,
      metrics.budgetUtilisation,
    ])
      g.reset();
    for (const row of rows) {
      metrics.holdsPending.set({ tenant: row.tenant }, row.pendingCount);
      for (const [cur, held] of row.held)
        metrics.holdsPendingAmount.set({ tenant: row.tenant, currency: cur }, held);
      metrics.oldestHoldAge.set({ tenant: row.tenant }, row.oldestAgeSeconds);
      metrics.budgetUtilisation.set({ tenant: row.tenant }, row.utilisation);
    }
  };
}
