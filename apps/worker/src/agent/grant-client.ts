/**
 * Asks a request's workflow for the next slice of its output grant (the `extendGrant` update). The
 * update id names the request's extension number, so a retried call is answered once by Temporal
 * and once by the workflow (which keeps its answers per number).
 */
import type { Client } from '@temporalio/client';
import { extendGrantUpdate, type GrantAnswer } from '@federa/workflows';
import type { AskGrant } from './slice-grant';

export class GrantClient {
  constructor(private readonly client: Client) {}

  /** The asker for one request's workflow. */
  forWorkflow(workflowId: string): AskGrant {
    const handle = this.client.workflow.getHandle(workflowId);
    return (seq, tokens): Promise<GrantAnswer> =>
      handle.executeUpdate(extendGrantUpdate, { args: [{ seq, tokens }], updateId: `grant-${seq}` });
  }
}
