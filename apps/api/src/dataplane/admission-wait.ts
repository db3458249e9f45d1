/**
 * Waiting for a request's admission. Normally the eagerly started first workflow task runs on the
 * control worker in this very process and its local activity hands the admission over in memory
 * (workflows/src/served/handoff.ts). When it does not (eager start refused, the task retried or run
 * by another process), the admission is read from the workflow itself.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { admissionQuery, type Admitted, type HandoffWaiter, type ReconcileResult } from '@federa/workflows';
import { domainErrorOfWorkflow } from '../errors';

/** How long an eagerly started request trusts the in-process hand-off before asking Temporal. */
export const HANDOFF_DEADLINE_MS = 3_000;
const POLL_MS = 25;

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** The workflow's own failure as the domain error the API answers with. */
function asDomainError(err: unknown): unknown {
  return domainErrorOfWorkflow(err) ?? err;
}

/** How long a refusal handed over in memory waits for its workflow to close before it is answered. */
export const CLOSE_WAIT_MS = 2_000;

/**
 * A request refused in this process's first workflow task (budget, rate limit, no eligible site) is
 * handed over before its workflow has closed; the workflow fails right after, which frees its id to
 * run again. The refusal is answered once it has (bounded), so a caller that retries under the same
 * id at once (after raising a limit, or after Retry-After) runs again instead of finding the refused
 * request still running (REQUEST_IN_PROGRESS).
 */
async function untilClosed(handle: WorkflowHandle): Promise<void> {
  const closed = handle.result().then(
    () => undefined,
    () => undefined,
  );
  await Promise.race([closed, delay(CLOSE_WAIT_MS)]);
}

async function admissionFromWorkflow(handle: WorkflowHandle, deadlineMs: number): Promise<Admitted> {
  const failed = handle.result().then(
    () => null,
    (err: unknown) => err,
  );
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    const outcome = await Promise.race([failed, delay(POLL_MS).then(() => undefined)]);
    if (outcome) throw asDomainError(outcome);
    const admitted = await handle.query(admissionQuery).catch(() => null);
    if (admitted) return admitted;
  }
  throw new Error(`request ${handle.workflowId} was not admitted within ${deadlineMs} ms`);
}

export async function awaitAdmission(
  handle: WorkflowHandle & { readonly eagerlyStarted?: boolean },
  waiter: HandoffWaiter<Admitted, ReconcileResult>,
  deadlineMs: number,
): Promise<Admitted> {
  if (handle.eagerlyStarted) {
    let handedOver: Admitted | null;
    try {
      handedOver = await Promise.race([waiter.admitted, delay(HANDOFF_DEADLINE_MS).then(() => null)]);
    } catch (refusal) {
      await untilClosed(handle);
      throw refusal;
    }
    if (handedOver) return handedOver;
  }
  return admissionFromWorkflow(handle, deadlineMs);
}
