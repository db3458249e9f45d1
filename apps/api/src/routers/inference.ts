import { openCompact, sealFor } from '@federa/sealing';
import { countChatTokens } from '@federa/tokenizer';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import {
  completeInputSchema,
  effectiveResidency,
  type CompleteInput,
  type TopologyIndex,
} from '@federa/domain';
import { requestWorkflowId, type RequestWorkflowInput, type RequestWorkflowResult } from '@federa/workflows';
import type { ApiDeps } from '../context';
import { domainErrorOfWorkflow } from '../errors';
import { claimRequestId } from '../request-fingerprint';
import { router, tenantProcedure } from '../trpc';

export const inferenceRouter = router({
  /**
   * Run one request through the federation. The workflow id is the tenant + client request id, so
   * sending the same request id again joins (or returns) the first execution: one charge. A request
   * that failed (refused, nothing charged) runs again under its id; another body under a used id is
   * refused with IDEMPOTENCY_KEY_REUSED.
   */
  complete: tenantProcedure.input(completeInputSchema).mutation(async ({ ctx, input }) => {
    const { deps, tenant } = ctx;
    // Refuse bad residency here, before any workflow exists: nothing changes on a refusal.
    const allowed = effectiveResidency(tenant.residency, input.residency, ctx.topology.groups);
    await claimRequestId(deps.ledger.redis, tenant.id, input);
    const payload = await sealPayload(deps, ctx.topology, allowed, input);
    const result = await deps.admission.run(() => runRequest(deps, tenant.id, input, payload));
    const { sealedContent, ...completion } = result.completion;
    return {
      requestId: result.requestId,
      model: result.model,
      completion: {
        ...completion,
        content:
          sealedContent && deps.payloadKeys
            ? await openCompact(sealedContent, deps.payloadKeys.apiPrivate)
            : completion.content,
      },
      usage: result.usage,
      charge: result.charge,
      route: result.route,
      recordId: result.recordId,
    };
  }),
});

type Payload = Pick<RequestWorkflowInput, 'messages' | 'sealedMessages' | 'inputTokens'>;

/**
 * Seal the messages to the jurisdictions the request may be served in (those with sites), and count
 * their tokens here, so neither the workflow history nor the control plane ever holds the prompt.
 */
async function sealPayload(
  deps: ApiDeps,
  topology: TopologyIndex,
  allowed: ReadonlySet<string>,
  input: CompleteInput,
): Promise<Payload> {
  if (!deps.payloadKeys) return { messages: input.messages };
  const keys = deps.payloadKeys;
  const countries = [...new Set(topology.topology.sites.map((s) => s.jurisdiction))]
    .filter((c) => allowed.has(c))
    .sort();
  const recipients = countries.flatMap((c) => (keys.jurisdictions[c] ? [keys.jurisdictions[c]] : []));
  return {
    sealedMessages: await sealFor(JSON.stringify(input.messages), recipients),
    inputTokens: countChatTokens(input.messages),
  };
}

async function runRequest(
  deps: ApiDeps,
  tenantId: string,
  input: CompleteInput,
  payload: Payload,
): Promise<RequestWorkflowResult> {
  const workflowId = requestWorkflowId(tenantId, input.requestId);
  const args: RequestWorkflowInput = {
    tenantId,
    requestId: input.requestId,
    model: input.model,
    ...payload,
    maxTokens: input.max_tokens,
    residency: input.residency,
  };
  try {
    let handle;
    try {
      handle = await deps.temporal.workflow.start('requestWorkflow', {
        taskQueue: deps.controlTaskQueue,
        workflowId,
        args: [args],
        // a running request is joined; a succeeded one returns its answer (below); one that failed
        // (refused before any charge, or its hold voided) runs again: the ledger re-opens its hold
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        // no execution timeout: it would end the workflow without its compensation (void or post);
        // every step is bounded by its own timeouts, and posting served work must never be cut off
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      handle = deps.temporal.workflow.getHandle(workflowId);
    }
    return (await handle.result()) as RequestWorkflowResult;
  } catch (err) {
    const domain = domainErrorOfWorkflow(err);
    if (domain) throw domain;
    throw err;
  }
}
