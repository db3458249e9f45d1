import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { completeInputSchema, effectiveResidency, type CompleteInput } from '@federa/domain';
import { requestWorkflowId, type RequestWorkflowInput, type RequestWorkflowResult } from '@federa/workflows';
import type { ApiDeps } from '../context';
import { domainErrorOfWorkflow } from '../errors';
import { router, tenantProcedure } from '../trpc';

export const inferenceRouter = router({
  /**
   * Run one request through the federation. The workflow id is the tenant + client request id, so
   * sending the same request id again joins (or returns) the first execution: one charge.
   */
  complete: tenantProcedure.input(completeInputSchema).mutation(async ({ ctx, input }) => {
    const { deps, tenant } = ctx;
    // Refuse bad residency here, before any workflow exists: nothing changes on a refusal.
    effectiveResidency(tenant.residency, input.residency, ctx.topology.groups);
    const result = await deps.admission.run(() => runRequest(deps, tenant.id, input));
    return {
      requestId: result.requestId,
      model: result.model,
      completion: result.completion,
      usage: result.usage,
      charge: result.charge,
      route: result.route,
      recordId: result.recordId,
    };
  }),
});

async function runRequest(
  deps: ApiDeps,
  tenantId: string,
  input: CompleteInput,
): Promise<RequestWorkflowResult> {
  const workflowId = requestWorkflowId(tenantId, input.requestId);
  const args: RequestWorkflowInput = {
    tenantId,
    requestId: input.requestId,
    model: input.model,
    messages: input.messages,
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
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowExecutionTimeout: '10m',
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
