/**
 * One workflow per inference request: route → reserve → dispatch (with failover) → reconcile.
 * Deterministic orchestration only; every I/O step is an activity. Route, reserve, reconcile and
 * void are short Redis steps, run as local activities to keep the added latency low; dispatch runs
 * on the chosen site's own task queue, i.e. on its site agent.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { ControlActivities } from './control.activities';
import { dispatchTimeoutMs } from './dispatch-timeout';
import { postUntilPosted } from './post-until-posted';
import type { SiteActivities } from './site.activities';
import { siteTaskQueue } from './task-queues';
import type {
  AttemptSummary,
  ReconcileInput,
  ReconcileResult,
  RequestWorkflowInput,
  RequestWorkflowResult,
} from './types';

const control = proxyLocalActivities<ControlActivities>({
  startToCloseTimeout: '5s',
  retry: { initialInterval: '50ms', backoffCoefficient: 2, maximumInterval: '2s', maximumAttempts: 5 },
});

// Posting the usage of work a site already did never gives up: unlimited attempts (no
// maximumAttempts), backoff capped at 30 s, for as long as Redis is away.
const { reconcileUsage } = proxyLocalActivities<ControlActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '100ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

/** Post the usage of served work until it is posted (post-until-posted.ts). */
function postServedWork(input: ReconcileInput): Promise<ReconcileResult> {
  return postUntilPosted(input.requestId, () => reconcileUsage(input));
}

/** Errors after which trying another site cannot help. */
const FATAL_DISPATCH_TYPES = new Set(['SITE_REJECTED', 'RESIDENCY_VIOLATION']);

function dispatcher(siteId: string, siteTimeoutMs: number) {
  return proxyActivities<SiteActivities>({
    taskQueue: siteTaskQueue(siteId),
    // a missing site agent shows up as a schedule-to-start timeout, and the route fails over
    scheduleToStartTimeout: '5s',
    // the agent's own timeout is sized from the request; this one only backs it up
    startToCloseTimeout: siteTimeoutMs + 30_000,
    // the agent heartbeats every second; five missed beats mean it died mid-dispatch
    heartbeatTimeout: '5s',
    // one attempt per site: the route itself is the retry policy
    retry: { maximumAttempts: 1 },
  }).dispatchCompletion;
}

function describe(err: unknown): { type: string; message: string; mayHaveServed: boolean } {
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) {
      return {
        type: cause.type ?? 'Error',
        message: cause.message,
        mayHaveServed: cause.type === 'SITE_TIMEOUT',
      };
    }
    if (cause instanceof TimeoutFailure) {
      // a task no agent picked up never reached the site; any later timeout may have
      return {
        type: `TIMEOUT_${cause.timeoutType}`,
        message: cause.message,
        mayHaveServed: cause.timeoutType !== 'SCHEDULE_TO_START',
      };
    }
    return {
      type: cause?.name ?? 'ActivityFailure',
      message: cause?.message ?? err.message,
      mayHaveServed: true,
    };
  }
  return { type: (err as Error).name, message: (err as Error).message, mayHaveServed: true };
}

export async function requestWorkflow(input: RequestWorkflowInput): Promise<RequestWorkflowResult> {
  const plan = await control.planRoute(input);
  const hold = await control.reserveHold({
    tenantId: input.tenantId,
    requestId: input.requestId,
    amount: plan.holdAmount,
    tokens: plan.inputTokens + input.maxTokens,
    ttlMs: plan.holdTtlMs,
    // a hold voided by an earlier, failed run of this request id is re-opened for this run
    attempt: workflowInfo().runId,
    ...(input.apiKeyId ? { apiKeyId: input.apiKeyId } : {}),
  });
  const siteTimeoutMs = dispatchTimeoutMs(input.maxTokens);

  const attempts: AttemptSummary[] = [];
  let settled = false;
  try {
    for (const target of plan.route.slice(0, plan.maxAttempts)) {
      let dispatched;
      try {
        dispatched = await dispatcher(
          target.siteId,
          siteTimeoutMs,
        )({
          tenantId: input.tenantId,
          requestId: input.requestId,
          siteId: target.siteId,
          model: input.model,
          messages: input.messages,
          sealedMessages: input.sealedMessages,
          maxTokens: input.maxTokens,
          allowedJurisdictions: plan.allowedJurisdictions,
          timeoutMs: siteTimeoutMs,
        });
      } catch (err) {
        if (isCancellation(err)) throw err;
        const { type, message, mayHaveServed } = describe(err);
        attempts.push({
          siteId: target.siteId,
          jurisdiction: target.jurisdiction,
          outcome: 'failed',
          error: `${type}: ${message}`,
          mayHaveServed,
        });
        if (FATAL_DISPATCH_TYPES.has(type)) throw ApplicationFailure.nonRetryable(message, type);
        continue;
      }
      // From here the site has done the work: the hold must be posted, never voided.
      settled = true;
      const { content, sealedContent, finishReason, ...measured } = dispatched;
      const failedAttempts = attempts.length;
      attempts.push({ siteId: target.siteId, jurisdiction: target.jurisdiction, outcome: 'served' });
      // the site did the work: its usage is posted even if the request is cancelled meanwhile
      const posted = await CancellationScope.nonCancellable(() =>
        postServedWork({
          tenantId: input.tenantId,
          requestId: input.requestId,
          model: input.model,
          served: target,
          dispatch: measured,
          policyVersion: plan.policyVersion,
          failedAttempts,
          candidates: plan.route.map((r) => r.siteId),
          priorAttemptMayHaveServed: attempts.some((a) => a.mayHaveServed === true),
          edgeInputTokens: plan.inputTokens,
          maxTokens: input.maxTokens,
        }),
      );
      return {
        requestId: input.requestId,
        model: input.model,
        completion: { role: 'assistant', content, sealedContent, finishReason },
        usage: posted.usage,
        charge: { amount: posted.retailCharge, held: hold.amount, currency: posted.currency },
        route: {
          ...target,
          policyVersion: plan.policyVersion,
          candidates: plan.route.map((r) => r.siteId),
          attempts,
        },
        recordId: posted.recordId,
      };
    }
    throw ApplicationFailure.nonRetryable(
      `every eligible site failed: ${attempts.map((a) => `${a.siteId} (${a.error})`).join('; ')}`,
      'ALL_SITES_FAILED',
      { attempts },
    );
  } finally {
    if (!settled) {
      // the compensation must not mask the error that brought us here
      try {
        // runs on cancellation too: the release itself must not be cancelled
        await CancellationScope.nonCancellable(() =>
          control.voidHold({ tenantId: input.tenantId, requestId: input.requestId }),
        );
      } catch (voidErr) {
        log.error('could not void hold; it will expire', {
          requestId: input.requestId,
          error: String(voidErr),
        });
      }
    }
  }
}
