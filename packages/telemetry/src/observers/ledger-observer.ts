/**
 * The ledger's observer (packages/ledger's LedgerObserver, matched structurally so telemetry does
 * not depend on the ledger) recording into the catalogue's ledger families. Every label value comes
 * from the ledger's own vocabulary (ops, results, stable codes, flags) or the topology (currency).
 */
import type { LedgerMetrics } from '../metrics/catalogue';

export interface ObservedLedgerOperation {
  readonly op: string;
  readonly result: string;
  readonly code?: string | undefined;
  readonly seconds: number;
}

export interface ObservedLedgerPost {
  readonly overage: number;
  readonly currency: string;
  readonly flags: readonly string[];
}

export function ledgerObserver(
  metrics: Pick<LedgerMetrics, 'operations' | 'operationDuration' | 'refusals' | 'overage' | 'usageFlags'>,
) {
  return {
    operation(o: ObservedLedgerOperation): void {
      metrics.operations.inc({ op: o.op, result: o.result });
      metrics.operationDuration.observe({ op: o.op }, o.seconds);
      if (o.result === 'refused' && o.code) metrics.refusals.inc({ op: o.op, code: o.code });
    },
    posted(p: ObservedLedgerPost): void {
      if (p.overage > 0) metrics.overage.inc({ currency: p.currency }, p.overage);
      for (const flag of p.flags) metrics.usageFlags.inc({ flag });
    },
  };
}
