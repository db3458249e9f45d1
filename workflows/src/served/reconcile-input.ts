/**
 * What a served request is reconciled from: the request, its admission and the agent's usage report.
 *
 * One pure function, used by both sides that post a served request's usage: the API, right after
 * the agent's last frame (so the client's answer does not wait on Temporal), and the workflow, when
 * the agent's report reaches it. Built the same way from the same report, the two posts are the
 * same post, and the ledger's post is idempotent by request id: the second is a replay that
 * returns the first one's record. Deterministic (the workflow runs it).
 */
import type { ReconcileInput, SiteTarget } from '../types';
import type { Admitted, ServedRequestInput, UsageReport } from './types';

export interface ServedReconcile {
  readonly reconcile: ReconcileInput;
  /** the report named a site of the route; when not, the hold is posted as held, flagged */
  readonly siteInRoute: boolean;
  readonly target: SiteTarget;
}

export function reconcileInputOf(
  input: ServedRequestInput,
  plan: Admitted,
  report: UsageReport,
  /** the output tokens granted in all (first slice and extensions): the clamp, never more */
  grantedTokens: number = plan.grantTokens,
): ServedReconcile {
  const served = plan.route.find((t) => t.siteId === report.siteId);
  // an agent reporting for a site outside the route is not believed: the first site, billed as held
  const target = served ?? plan.route[0]!;
  return {
    siteInRoute: served !== undefined,
    target,
    reconcile: {
      tenantId: input.tenantId,
      requestId: input.requestId,
      model: input.model,
      served: target,
      dispatch: {
        siteId: target.siteId,
        inputTokens: report.siteInputTokens,
        outputTokens: served ? report.relayedTokens : grantedTokens,
        startedAt: '',
        completedAt: '',
        totalMs: report.totalMs,
        networkMs: report.networkMs,
      },
      policyVersion: plan.policyVersion,
      failedAttempts: report.failedAttempts.length,
      candidates: plan.route.map((r) => r.siteId),
      priorAttemptMayHaveServed: report.failedAttempts.some((a) => a.mayHaveServed === true),
      edgeInputTokens: input.inputTokens,
      maxTokens: grantedTokens,
      extraFlags: served ? report.flags : [...report.flags, 'UNRECONCILED'],
      // routing's sample is the API's (apps/api/src/dataplane/latency-sample.ts), never the agent's
      latencySampledBy: 'api',
    },
  };
}
