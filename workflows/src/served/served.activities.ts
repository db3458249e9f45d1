/**
 * Local activities of the served-request workflow. They run on the control worker, which for an
 * eagerly started request is the one inside the API process: `admitRequest` and `settleServed` then
 * hand their results straight to the waiting API request (handoff.ts) as well as to the workflow.
 */
import { ApplicationFailure } from '@temporalio/common';
import { ERROR_CODES, FederaError, type ErrorCode } from '@federa/domain';
import { createControlActivities, type ControlDeps } from '../control.activities';
import { DEFAULT_DISPATCH_TIMEOUT, dispatchTimeoutMs, type DispatchTimeoutParams } from '../dispatch-timeout';
import { withFailures } from '../failures';
import { siteIdempotencyKey } from '../site-http';
import type { ReconcileInput, ReconcileResult } from '../types';
import { createGrantActivity } from './grant.activity';
import type { RequestHandoff } from './handoff';
import type { Admitted, ServedRequestInput, SiteMeterReading } from './types';

export type ServedHandoff = RequestHandoff<Admitted, ReconcileResult>;

export interface ServedDeps extends ControlDeps {
  /** present on a control worker that shares its process with the API */
  readonly handoff?: ServedHandoff | undefined;
  /** how long reading a site's usage meter may take */
  readonly meterTimeoutMs?: number;
  /** the agents' dispatch budget, sized from the grant (default: dispatch-timeout.ts's) */
  readonly dispatchTimeout?: Partial<DispatchTimeoutParams> | undefined;
  /** beyond that budget, how long the workflow waits for the agent's report (default 30 s) */
  readonly reportGraceMs?: number | undefined;
}

export const DEFAULT_REPORT_GRACE_MS = 30_000;

/** A non-retryable failure as the FederaError the API maps to its answer. */
function asFederaError(err: unknown): FederaError | null {
  if (err instanceof FederaError) return err;
  if (err instanceof ApplicationFailure && err.nonRetryable && err.type && err.type in ERROR_CODES) {
    return new FederaError(err.type as ErrorCode, err.message, err.details?.[0] as never);
  }
  return null;
}

export function createServedActivities(deps: ServedDeps) {
  const control = createControlActivities(deps);

  /** Route and reserve in one step: one marker in history, one hand-off to the API. */
  async function admitRequest(
    input: ServedRequestInput & { readonly workflowId: string; readonly attempt: string },
  ): Promise<Admitted> {
    // the first slice is held now; the agent asks for the rest while the site generates
    const grantTokens = Math.min(input.grantTokens ?? input.maxTokens, input.maxTokens);
    try {
      const plan = await control.planRoute({
        tenantId: input.tenantId,
        requestId: input.requestId,
        model: input.model,
        inputTokens: input.inputTokens,
        maxTokens: grantTokens,
        residency: input.residency,
      });
      await control.reserveHold({
        tenantId: input.tenantId,
        requestId: input.requestId,
        amount: plan.holdAmount,
        tokens: plan.inputTokens + grantTokens,
        ttlMs: plan.holdTtlMs,
        // a hold voided by an earlier, failed run of this request id is re-opened for this run
        attempt: input.attempt,
        ...(input.apiKeyId ? { apiKeyId: input.apiKeyId } : {}),
      });
      const admitted: Admitted = {
        route: plan.route,
        allowedJurisdictions: plan.allowedJurisdictions,
        policyVersion: plan.policyVersion,
        maxAttempts: plan.maxAttempts,
        holdAmount: plan.holdAmount,
        currency: plan.currency,
        grantTokens,
        maxTokens: input.maxTokens,
        // sized for the ceiling: the site may generate every slice
        dispatchTimeoutMs: dispatchTimeoutMs(input.maxTokens, {
          ...DEFAULT_DISPATCH_TIMEOUT,
          ...deps.dispatchTimeout,
        }),
        reportGraceMs: deps.reportGraceMs ?? DEFAULT_REPORT_GRACE_MS,
      };
      deps.handoff?.admitted(input.workflowId, admitted);
      return admitted;
    } catch (err) {
      // a refusal is final: the waiting request answers now; a transient failure is retried first
      const refusal = asFederaError(err);
      if (refusal && !ERROR_CODES[refusal.code].retryable) deps.handoff?.refused(input.workflowId, refusal);
      throw err;
    }
  }

  /** Post the usage, then hand the record to the waiting request (if it still waits here). */
  async function settleServed(input: {
    readonly workflowId: string;
    readonly reconcile: ReconcileInput;
  }): Promise<ReconcileResult> {
    const result = await control.reconcileUsage(input.reconcile);
    deps.handoff?.settled(input.workflowId, result);
    return result;
  }

  /**
   * The site's own usage meter for this request's key: what the control plane bills from when the
   * site agent died without reporting. Never throws: an unreadable meter is a reading too.
   */
  async function readSiteMeter(input: {
    readonly siteId: string;
    readonly tenantId: string;
    readonly requestId: string;
  }): Promise<SiteMeterReading> {
    const none = (state: 'unknown' | 'unreachable'): SiteMeterReading => ({
      siteId: input.siteId,
      state,
      promptTokens: 0,
      completionTokens: 0,
    });
    const site = (await deps.topology()).topology.sites.find((s) => s.id === input.siteId);
    if (!site) return none('unreachable');
    try {
      const key = siteIdempotencyKey(input.tenantId, input.requestId);
      const res = await fetch(`${site.endpoint}/v1/usage/${key}`, {
        signal: AbortSignal.timeout(deps.meterTimeoutMs ?? 3_000),
      });
      if (res.status === 404) return none('unknown');
      if (!res.ok) return none('unreachable');
      const body = (await res.json()) as {
        state?: unknown;
        prompt_tokens?: unknown;
        completion_tokens?: unknown;
      };
      const count = (n: unknown) => (Number.isSafeInteger(n) && (n as number) >= 0 ? (n as number) : -1);
      const state = body.state;
      if (state !== 'generating' && state !== 'completed' && state !== 'cancelled')
        return none('unreachable');
      return {
        siteId: input.siteId,
        state,
        promptTokens: count(body.prompt_tokens),
        completionTokens: count(body.completion_tokens),
      };
    } catch {
      return none('unreachable');
    }
  }

  return {
    admitRequest: withFailures(admitRequest),
    settleServed: withFailures(settleServed),
    readSiteMeter: withFailures(readSiteMeter),
    extendGrant: withFailures(createGrantActivity(deps)),
    voidHold: control.voidHold,
  };
}

export type ServedActivities = ReturnType<typeof createServedActivities>;
