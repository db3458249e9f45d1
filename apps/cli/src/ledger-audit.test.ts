import { describe, expect, it } from 'vitest';
import { auditLedger, type AuditedRecord, type AuditedWorkflow } from './ledger-audit';

const range = { fromMs: 1_000, toMs: 2_000 };
const wf = (
  requestId: string,
  at: number,
  status: AuditedWorkflow['status'] = 'completed',
): AuditedWorkflow => ({
  tenantId: 't',
  requestId,
  at,
  status,
});
const rec = (requestId: string, at: number, recordId = `${at}-0`): AuditedRecord => ({
  tenantId: 't',
  requestId,
  recordId,
  at,
});

describe('auditLedger', () => {
  it('passes when each completed workflow has one record, across the range edge', () => {
    // the record of 'edge' was appended just before the range, its workflow closed inside it
    const report = auditLedger(
      range,
      [wf('a', 1_500), wf('edge', 1_001)],
      [rec('a', 1_499), rec('edge', 999)],
    );
    expect(report).toMatchObject({ ok: true, workflows: 2, records: 1, matched: 2, mismatches: [] });
  });

  it('reports a workflow without a record, a record without a workflow and a duplicate', () => {
    const report = auditLedger(
      range,
      [wf('lost', 1_200), wf('twice', 1_300), wf('open', 1_400, 'running')],
      [
        rec('twice', 1_290, '1290-0'),
        rec('twice', 1_295, '1295-0'),
        rec('planted', 1_500),
        rec('open', 1_450),
      ],
    );
    expect(report.ok).toBe(false);
    expect(report.inFlight).toBe(1);
    expect(report.mismatches).toEqual(
      expect.arrayContaining([
        { kind: 'NO_RECORD', tenantId: 't', requestId: 'lost', recordIds: [] },
        { kind: 'DUPLICATE_RECORDS', tenantId: 't', requestId: 'twice', recordIds: ['1290-0', '1295-0'] },
        { kind: 'NO_WORKFLOW', tenantId: 't', requestId: 'planted', recordIds: ['1500-0'] },
      ]),
    );
    expect(report.mismatches).toHaveLength(3);
  });

  it('ignores what lies outside the range', () => {
    expect(auditLedger(range, [wf('late', 2_500)], [rec('early', 500)]).ok).toBe(true);
  });
});
