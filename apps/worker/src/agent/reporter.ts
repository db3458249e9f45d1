/**
 * Sends the agent's usage report to the request's workflow. It runs whether or not the API is still
 * there (the API may have died mid-stream): the report is what the request is billed from. Retried
 * a few times; a workflow that is already closed (it timed out and billed from the site's meter)
 * ignores it by design, so a late report is never counted twice.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { usageReportedSignal, type UsageReport } from '@federa/workflows';

export class UsageReporter {
  constructor(
    private readonly client: Client,
    private readonly onError: (err: unknown, workflowId: string) => void = () => undefined,
  ) {}

  async report(workflowId: string, report: UsageReport): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.client.workflow.getHandle(workflowId).signal(usageReportedSignal, report);
        return;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return this.onError(err, workflowId);
        if (attempt === 4) return this.onError(err, workflowId);
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      }
    }
  }
}
