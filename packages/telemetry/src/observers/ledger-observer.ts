/**
 * The ledger's observer (packages/ledger's LedgerObserver, matched structurally so telemetry does
 * not depend on the ledger) recording into the catalogue's ledger families. Every label value comes
 * from the ledger's own vocabulary (ops, results, stable codes, flags) or the topology (currency,
 * model, site: a record is priced, so its model is one the topology knows).
 *
 * Billed tokens (federa_tokens_total) are counted here, at the post that creates the usage record,
 * when the process records request metrics (`tokens`): once per record whichever process posts it
 * (the API after the last token, or the request's workflow when the client or the API went away).
 */
import type { LedgerMetrics, RequestMetrics } from '../metrics/catalogue';

export interface ObservedLedgerOperation {
  readonly op: string;
  readonly result: string;
  readonly code?: string | undefined;
  readonly seconds: number;
}

export interface ObservedLedgerPost {
  readonly usage: {
    readonly model: string;
    readonly siteId: string;
    readonly inputTokens: number;
    readonly outputTokens: number;
  };
  readonly overage: number;
  readonly currency: string;
  readonly flags: readonly string[];
}

export function ledgerObserver(
  metrics: Pick<LedgerMetrics, 'operations' | 'operationDuration' | 'refusals' | 'overage' | 'usageFlags'>,
  tokens?: RequestMetrics['tokens'],
) {
  return {
    operation(o: ObservedLedgerOperation): void {
      metrics.operations.inc({ op: o.op, result: o.result });
      metrics.operationDuration.observe({ op: o.op }, o.seconds);
      if (o.result === 'refused' && o.code) metrics.refusals.inc({ op: o.op, code: o.code });
    },
    posted(p: ObservedLedgerPost): void {
      if (tokens) {
        const at = { model: p.usage.model, site: p.usage.siteId };
        if (p.usage.inputTokens > 0) tokens.inc({ ...at, direction: 'input' }, p.usage.inputTokens);
        if (p.usage.outputTokens > 0) tokens.inc({ ...at, direction: 'output' }, p.usage.outputTokens);
      }
      if (p.overage > 0) metrics.overage.inc({ currency: p.currency }, p.overage);
      for (const flag of p.flags) metrics.usageFlags.inc({ flag });
    },
  };
}
