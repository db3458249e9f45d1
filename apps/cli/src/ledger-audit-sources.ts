/**
 * The two sides of `federa ledger audit`, read directly as an operator tool: request workflows
 * from Temporal's visibility store (one federation = its control task queue, and the served queue
 * beside it) and usage records from
 * each tenant's usage (the live stream plus, for settled periods, the usage archive) in Redis
 * (tenants from the federation's registry).
 */
import type { Client } from '@temporalio/client';
import type { Cluster, Redis } from 'ioredis';
import { Ledger } from '@federa/ledger';
import { Registry } from '@federa/registry';
import { SettlementStore, usageReader } from '@federa/settlement';
import { SERVED_WORKFLOW_TYPE, servedTaskQueue } from '@federa/workflows';
import type { AuditedRecord, AuditedWorkflow } from './ledger-audit';

export interface AuditSources {
  readonly temporal: Client;
  readonly redis: Redis | Cluster;
  /** the registry namespace (the topology's name) */
  readonly federation: string;
  readonly controlTaskQueue: string;
  /** the usage archive's directory, '' when usage is never archived */
  readonly usageArchiveDir?: string;
}

export async function gatherAudit(
  src: AuditSources,
  fromMs: number,
  toMs: number,
): Promise<{ workflows: AuditedWorkflow[]; records: AuditedRecord[] }> {
  const tenants = (await new Registry(src.redis, src.federation).snapshot()).topology.tenants.map(
    (t) => t.id,
  );
  // archived periods read from the archive, so a settled period does not look empty
  const usage = usageReader(
    new Ledger(src.redis),
    new SettlementStore(src.redis, src.federation),
    src.usageArchiveDir ? { dir: src.usageArchiveDir, afterMs: 0 } : undefined,
  );
  const records: AuditedRecord[] = [];
  for (const tenantId of tenants) {
    for await (const r of usage.between(tenantId, fromMs, toMs)) {
      records.push({
        tenantId,
        requestId: r.requestId,
        recordId: r.recordId,
        at: Number(r.recordId.split('-')[0]),
      });
    }
  }

  const iso = (ms: number) => new Date(ms).toISOString();
  // requests run as servedRequestWorkflow on the data plane's queue; old requestWorkflows drain
  // on the control queue
  const kinds =
    `(WorkflowType = 'requestWorkflow' AND TaskQueue = '${src.controlTaskQueue}')` +
    ` OR (WorkflowType = '${SERVED_WORKFLOW_TYPE}' AND TaskQueue = '${servedTaskQueue(src.controlTaskQueue)}')`;
  const query =
    `(${kinds}) AND (` +
    `(ExecutionStatus = 'Completed' AND CloseTime >= '${iso(fromMs)}' AND CloseTime < '${iso(toMs)}')` +
    ` OR ExecutionStatus = 'Running')`;
  const workflows: AuditedWorkflow[] = [];
  for await (const w of src.temporal.workflow.list({ query })) {
    const id = parseRequestWorkflowId(w.workflowId, tenants);
    if (!id) continue;
    const running = w.status.name === 'RUNNING';
    workflows.push({
      ...id,
      status: running ? 'running' : 'completed',
      at: (running ? w.startTime : (w.closeTime ?? w.startTime)).getTime(),
    });
  }
  return { workflows, records };
}

/** `req:<tenant>:<requestId>` (requestWorkflowId), against the known tenants: ids may hold ':'. */
function parseRequestWorkflowId(
  workflowId: string,
  tenants: readonly string[],
): { tenantId: string; requestId: string } | null {
  for (const tenantId of tenants) {
    const prefix = `req:${tenantId}:`;
    if (workflowId.startsWith(prefix)) return { tenantId, requestId: workflowId.slice(prefix.length) };
  }
  return null;
}
