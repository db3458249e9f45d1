/**
 * `federa ledger audit`: every completed request workflow has exactly one usage record, and every
 * usage record one completed workflow. Pure comparison here; ledger-audit-sources.ts gathers the two
 * sides (Temporal visibility, the tenants' usage streams in Redis).
 *
 * Range edges: a record is appended a moment before its workflow closes, so both sides are read over
 * the range widened by a slack and only items inside the range itself are judged, each against
 * the widened other side.
 */
export interface AuditedWorkflow {
  readonly tenantId: string;
  readonly requestId: string;
  /** close time (completed) or start time (still running), ms */
  readonly at: number;
  readonly status: 'completed' | 'running';
}

export interface AuditedRecord {
  readonly tenantId: string;
  readonly requestId: string;
  readonly recordId: string;
  /** append time, ms */
  readonly at: number;
}

export interface AuditMismatch {
  readonly kind: 'NO_RECORD' | 'DUPLICATE_RECORDS' | 'NO_WORKFLOW';
  readonly tenantId: string;
  readonly requestId: string;
  readonly recordIds: readonly string[];
}

export interface AuditReport {
  readonly from: string;
  readonly to: string;
  /** completed request workflows closed in the range */
  readonly workflows: number;
  /** usage records appended in the range */
  readonly records: number;
  readonly matched: number;
  /** records whose workflow is still open (posted, about to complete, or parked and retrying) */
  readonly inFlight: number;
  readonly mismatches: readonly AuditMismatch[];
  readonly ok: boolean;
}

const keyOf = (x: { tenantId: string; requestId: string }) => `${x.tenantId}\0${x.requestId}`;

export function auditLedger(
  range: { readonly fromMs: number; readonly toMs: number },
  workflows: readonly AuditedWorkflow[],
  records: readonly AuditedRecord[],
): AuditReport {
  const inRange = (at: number) => at >= range.fromMs && at < range.toMs;
  const recordsByKey = new Map<string, AuditedRecord[]>();
  for (const r of records) recordsByKey.set(keyOf(r), [...(recordsByKey.get(keyOf(r)) ?? []), r]);
  const workflowByKey = new Map<string, AuditedWorkflow>();
  for (const w of workflows) {
    // a completed run wins over a running one of the same id
    if (w.status === 'completed' || !workflowByKey.has(keyOf(w))) workflowByKey.set(keyOf(w), w);
  }

  const mismatches: AuditMismatch[] = [];
  let judgedWorkflows = 0;
  let matched = 0;
  for (const w of workflowByKey.values()) {
    if (w.status !== 'completed' || !inRange(w.at)) continue;
    judgedWorkflows++;
    const found = recordsByKey.get(keyOf(w)) ?? [];
    const ids = found.map((r) => r.recordId);
    if (found.length === 1) matched++;
    else
      mismatches.push({
        ...pick(w),
        kind: found.length === 0 ? 'NO_RECORD' : 'DUPLICATE_RECORDS',
        recordIds: ids,
      });
  }

  let judgedRecords = 0;
  let inFlight = 0;
  for (const [key, found] of recordsByKey) {
    const here = found.filter((r) => inRange(r.at));
    if (here.length === 0) continue;
    judgedRecords += here.length;
    const w = workflowByKey.get(key);
    if (w?.status === 'running') inFlight += here.length;
    else if (!w)
      mismatches.push({ ...pick(here[0]!), kind: 'NO_WORKFLOW', recordIds: found.map((r) => r.recordId) });
  }

  return {
    from: new Date(range.fromMs).toISOString(),
    to: new Date(range.toMs).toISOString(),
    workflows: judgedWorkflows,
    records: judgedRecords,
    matched,
    inFlight,
    mismatches,
    ok: mismatches.length === 0,
  };
}

function pick(x: { tenantId: string; requestId: string }) {
  return { tenantId: x.tenantId, requestId: x.requestId };
}

export function renderAudit(report: AuditReport): string {
  const lines = [
    `ledger audit ${report.from} → ${report.to}`,
    `completed request workflows: ${report.workflows}`,
    `usage records:               ${report.records}`,
    `matched one to one:          ${report.matched}`,
    `records of open workflows:   ${report.inFlight}`,
    report.ok
      ? 'OK: every completed request has exactly one record and every record one request'
      : `MISMATCHES: ${report.mismatches.length}`,
  ];
  for (const m of report.mismatches) {
    lines.push(
      `  ${m.kind.padEnd(17)} ${m.tenantId} ${m.requestId}${m.recordIds.length ? ` records ${m.recordIds.join(', ')}` : ''}`,
    );
  }
  return lines.join('\n');
}
