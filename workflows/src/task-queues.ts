/** Task-queue names, in one place. A site's agent polls its own queue, inside its jurisdiction. */
export const CONTROL_TASK_QUEUE = 'federa-control';

/**
 * Served (data-plane) requests have their own queue, polled by the control worker inside each API
 * process (eager start hands the first task to it) and by the worker processes (which finish the
 * workflows of an API that died); settlement and the Temporal-dispatched path stay on the control queue.
 */
export function servedTaskQueue(controlTaskQueue: string): string {
  return `${controlTaskQueue}.served`;
}

export function siteTaskQueue(siteId: string): string {
  return `federa-site-${siteId}`;
}

/** Workflow ids are business keys, so a client retry reaches the same execution. */
export function requestWorkflowId(tenantId: string, requestId: string): string {
  return `req:${tenantId}:${requestId}`;
}

/** One settlement schedule per federation (registry namespace). */
export function settlementScheduleId(namespace: string): string {
  return `settlement:${namespace}`;
}

/** A manual settlement of one period: the same id every time, so a repeat joins the first run. */
export function settlementWorkflowId(namespace: string, periodId: string): string {
  return `settle:${namespace}:${periodId}`;
}
