/**
 * One workflow per request served over the data plane: the control plane's half of the request.
 *
 * 1. admit (one local activity: route + reserve), handed straight back to the API that started it
 *    eagerly; the API then streams the prompt to the chosen site's agent and the tokens back, with
 *    no Temporal round trip on the way;
 * 2. wait for the agent's usage report (or the API's "nothing served" notice);
 * 3. reconcile and write the usage record, after the last token.
 *
 * If the agent never reports (it died), the wait times out and the request is billed from the
 * site's own usage meter, or the hold is posted flagged UNRECONCILED when the meter cannot be read:
 * never lost, and never counted twice (the post is idempotent by request id).
 * History holds metadata only; the prompt and completion never pass through here.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  log,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { postUntilPosted } from '../post-until-posted';
import { reconcileInputOf } from './reconcile-input';
import { installGrants } from './grants';
import type { ServedActivities } from './served.activities';
import { admissionQuery, dispatchAbandonedSignal, usageReportedSignal } from './signals';
import type {
  Admitted,
  DispatchAbandoned,
  ServedRequestInput,
  ServedRequestResult,
  SiteMeterReading,
  UsageReport,
} from './types';

const control = proxyLocalActivities<ServedActivities>({
  startToCloseTimeout: '5s',
  retry: { initialInterval: '50ms', backoffCoefficient: 2, maximumInterval: '2s', maximumAttempts: 5 },
});

// Posting the usage of work a site did never gives up (post-until-posted.ts).
const { settleServed } = proxyLocalActivities<ServedActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '100ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

/** The report the workflow bills from when the agent never sent one. */
function reportFromMeter(reading: SiteMeterReading, admitted: Admitted): UsageReport {
  return {
    siteId: reading.siteId,
    siteInputTokens: reading.promptTokens,
    siteOutputTokens: reading.completionTokens,
    relayedTokens: Math.max(0, reading.completionTokens),
    finishReason: 'unknown',
    flags: ['AGENT_LOST', 'SITE_METERED'],
    failedAttempts: [],
    totalMs: admitted.dispatchTimeoutMs,
    networkMs: 0,
  };
}

export async function servedRequestWorkflow(input: ServedRequestInput): Promise<ServedRequestResult> {
  const { workflowId, runId } = workflowInfo();
  let admitted: Admitted | null = null;
  let report: UsageReport | undefined;
  let abandoned: DispatchAbandoned | undefined;
  let waitOver = false;
  // the first report counts; a second one (a retried signal) changes nothing
  setHandler(usageReportedSignal, (r) => void (report ??= r));
  setHandler(dispatchAbandonedSignal, (a) => void (abandoned ??= a));
  setHandler(admissionQuery, () => admitted);
  const grants = installGrants({
    input,
    admitted: () => admitted,
    closed: () => waitOver || report !== undefined || abandoned !== undefined,
    extend: (args) => control.extendGrant(args),
  });

  admitted = await control.admitRequest({ ...input, workflowId, attempt: runId });
  const plan = admitted;

  const arrived = await condition(
    () => report !== undefined || abandoned !== undefined,
    plan.dispatchTimeoutMs + plan.reportGraceMs,
  );

  waitOver = true;
  // a slice being granted right now is part of the total the usage is reconciled against
  await grants.idle();

  if (!report && !arrived) {
    // the agent died or the API died before dispatching: the sites' own meters say what happened
    const readings = await Promise.all(
      plan.route
        .slice(0, plan.maxAttempts)
        .map((t) =>
          control.readSiteMeter({ siteId: t.siteId, tenantId: input.tenantId, requestId: input.requestId }),
        ),
    );
    const served = readings.find((r) => r.state !== 'unknown' && r.state !== 'unreachable');
    if (served) report = reportFromMeter(served, plan);
    else if (readings.some((r) => r.state === 'unreachable')) {
      // a site that cannot be asked may have served: bill the hold as held, flagged for review
      const first = plan.route[0]!;
      report = {
        siteId: first.siteId,
        siteInputTokens: input.inputTokens,
        siteOutputTokens: grants.total(),
        relayedTokens: grants.total(),
        finishReason: 'unknown',
        flags: ['AGENT_LOST', 'UNRECONCILED'],
        failedAttempts: [],
        totalMs: plan.dispatchTimeoutMs,
        networkMs: 0,
      };
    } else {
      abandoned = { code: 'ALL_SITES_FAILED', message: 'no site saw the request', attempts: [] };
    }
  }

  if (!report) {
    await CancellationScope.nonCancellable(() =>
      control.voidHold({ tenantId: input.tenantId, requestId: input.requestId }),
    );
    const why = abandoned ?? { code: 'ALL_SITES_FAILED', message: 'nothing was served', attempts: [] };
    throw ApplicationFailure.nonRetryable(why.message, why.code, { attempts: why.attempts });
  }

  const { reconcile, siteInRoute, target } = reconcileInputOf(input, plan, report, grants.total());
  if (!siteInRoute) {
    log.error('usage report from a site outside the route', {
      requestId: input.requestId,
      site: report.siteId,
    });
  }
  // the API usually posted this very usage already (after the agent's last frame): this is then
  // a replay that returns the same record; otherwise (the API died) it is the post
  const posted = await CancellationScope.nonCancellable(() =>
    postUntilPosted(input.requestId, () => settleServed({ workflowId, reconcile })),
  );
  return {
    requestId: input.requestId,
    recordId: posted.recordId,
    siteId: target.siteId,
    operatorId: target.operatorId,
    jurisdiction: target.jurisdiction,
    policyVersion: plan.policyVersion,
    usage: posted.usage,
    charge: {
      amount: posted.retailCharge,
      held: grants.held() ?? plan.holdAmount,
      currency: posted.currency,
    },
    flags: posted.flags,
    candidates: plan.route.map((r) => r.siteId),
    attempts: [
      ...report.failedAttempts,
      { siteId: target.siteId, jurisdiction: target.jurisdiction, outcome: 'served' },
    ],
  };
}
