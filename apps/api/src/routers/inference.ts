import { applyKeyScope } from '@federa/auth';
import { openCompact } from '@federa/sealing';
import { chatChars } from '@federa/tokenizer';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { TRPCError } from '@trpc/server';
import { FederaError, completeInputSchema, effectiveResidency, type CompleteInput } from '@federa/domain';
import { requestWorkflowId, type RequestWorkflowInput, type RequestWorkflowResult } from '@federa/workflows';
import { ClientGoneError } from '../admission';
import type { ApiDeps } from '../context';
import { domainErrorOfWorkflow } from '../errors';
import { sealPayload, type SealedPayload as Payload } from '../dataplane/payload';
import { claimRequestId } from '../request-fingerprint';
import { router, tenantProcedure } from '../trpc';

export const inferenceRouter = router({
  /**
   * Run one request through the federation. The workflow id is the tenant + client request id, so
   * sending the same request id again joins (or returns) the first execution: one charge. A request
   * that failed (refused, nothing charged) runs again under its id; another body under a used id is
   * refused with IDEMPOTENCY_KEY_REUSED.
   */
  complete: tenantProcedure.input(completeInputSchema).mutation(async ({ ctx, input, signal }) => {
    const { deps, tenant } = ctx;
    // An API key's model allow-list and residency narrowing, then the tenant's policy. Refuse bad
    // residency here, before any workflow exists: nothing changes on a refusal.
    const apiKey = ctx.principal.apiKey;
    const residency = applyKeyScope(apiKey, input, ctx.topology.groups);
    const allowed = effectiveResidency(tenant.residency, residency, ctx.topology.groups);
    // Refuse oversized prompts before spending any CPU on them.
    const chars = chatChars(input.messages);
    if (chars > deps.requestLimits.maxPromptChars) {
      throw new FederaError(
        'PROMPT_TOO_LARGE',
        `the prompt has ${chars} characters; at most ${deps.requestLimits.maxPromptChars} are accepted`,
      );
    }
    // the id is bound to this body only once the body is known to be acceptable
    await claimRequestId(deps.ledger.redis, tenant.id, input, deps.requestLimits.requestIdWindowMs);
    const payload = await sealPayload(deps, ctx.topology, allowed, input.messages);
    const ticket = { tenantId: tenant.id, bytes: queuedBytes(chars, payload), signal };
    const scoped = { residency, apiKeyId: apiKey?.id };
    const result = await deps.admission
      .run(ticket, () => runUnlessClientLeaves(deps, tenant.id, input, scoped, payload, signal))
      .catch((err: unknown) => {
        if (err instanceof ClientGoneError || signal?.aborted)
          throw new TRPCError({ code: 'CLIENT_CLOSED_REQUEST', message: 'the client disconnected' });
        throw err;
      });
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

/** what the caller's API key (if any) makes of the request: its residency and the key to charge */
type Scoped = Pick<RequestWorkflowInput, 'residency' | 'apiKeyId'>;

/** What a waiting request holds in memory: its prompt (UTF-16) and its sealed copy. */
function queuedBytes(chars: number, payload: Payload): number {
  const sealed = payload.sealedMessages;
  // the JWE's ciphertext dominates its size (base64url of the prompt's UTF-8)
  return chars * 2 + (sealed ? sealed.ciphertext.length + (sealed.protected?.length ?? 0) : chars);
}

/**
 * Runs the request; if the client disconnects while its workflow runs, cancels the workflow: the
 * workflow voids the hold when no site has served yet (and posts what a site did serve).
 */
async function runUnlessClientLeaves(
  deps: ApiDeps,
  tenantId: string,
  input: CompleteInput,
  scoped: Scoped,
  payload: Payload,
  signal: AbortSignal | undefined,
): Promise<RequestWorkflowResult> {
  if (signal?.aborted) throw new ClientGoneError();
  const cancel = () => {
    const handle = deps.temporal.workflow.getHandle(requestWorkflowId(tenantId, input.requestId));
    handle.cancel().catch((err: unknown) => deps.log.warn({ err }, 'cancelling a deserted request failed'));
  };
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    return await runRequest(deps, tenantId, input, scoped, payload);
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}

async function runRequest(
  deps: ApiDeps,
  tenantId: string,
  input: CompleteInput,
  scoped: Scoped,
  payload: Payload,
): Promise<RequestWorkflowResult> {
  const workflowId = requestWorkflowId(tenantId, input.requestId);
  const args: RequestWorkflowInput = {
    tenantId,
    requestId: input.requestId,
    model: input.model,
    ...payload,
    maxTokens: input.max_tokens,
    residency: scoped.residency,
    ...(scoped.apiKeyId ? { apiKeyId: scoped.apiKeyId } : {}),
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
