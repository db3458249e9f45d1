/**
 * Settlement fixtures that need no request path: usage records appended straight through the Ledger
 * API (reserve + post), and signed statements stored directly, so lifecycle and archive tests do not
 * wait for periods to close or for sites to serve.
 */
import type { UsageRecord } from '@federa/domain';
import { tenantKeys } from '@federa/ledger';
import {
  signStatement,
  statementRecords,
  usageReader,
  verifyStatement,
  type StatementPayload,
} from '@federa/settlement';
import { TEST_MODEL } from './topology';
import type { Federation } from './harness';

let seq = 0;

/** Who used a roaming record and where: `tenantId` (home `homeOperator`) served at `siteId` of `servingOperator`. */
interface RoamingUse {
  tenantId: string;
  homeOperator: string;
  servingOperator: string;
  siteId: string;
  inputTokens?: number;
  outputTokens?: number;
}

/** The usage record the fixtures post: dated `at` (the control plane's clock), `extra` overriding. */
function roamingRecord(
  r: RoamingUse,
  requestId: string,
  at: string,
  extra: Partial<UsageRecord> = {},
): UsageRecord {
  return {
    requestId,
    tenantId: r.tenantId,
    homeOperator: r.homeOperator,
    servingOperator: r.servingOperator,
    siteId: r.siteId,
    jurisdiction: 'SE',
    model: TEST_MODEL,
    inputTokens: r.inputTokens ?? 10,
    outputTokens: r.outputTokens ?? 20,
    currency: 'EUR',
    retailCharge: 100,
    wholesaleCharge: 50,
    policyVersion: 1,
    startedAt: at,
    completedAt: at,
    failedAttempts: 0,
    flags: [],
    ...extra,
  };
}

/** A roaming record: `tenant` (home `homeOperator`) served at `siteId` of `servingOperator`. */
export async function appendRecord(
  fed: Federation,
  r: RoamingUse & { extra?: Partial<UsageRecord> },
): Promise<string> {
  const requestId = `fx-${Date.now()}-${seq++}`;
  await fed.ledger.reserve({
    tenantId: r.tenantId,
    requestId,
    amount: 1000,
    expiresAt: Date.now() + 60_000,
  });
  const record = roamingRecord(r, requestId, new Date().toISOString(), r.extra);
  const posted = await fed.ledger.post({ tenantId: r.tenantId, requestId, actual: 100, record });
  return `${r.tenantId}/${posted.recordId}`;
}

/**
 * A roaming record as the ledger would have posted it at `atMs`, in the past. The one fixture that
 * writes the ledger's stream entry itself (post.lua's fields): the ledger appends at Redis's own
 * clock, and a test of last month's statement cannot wait for last month. The tenant's stream must
 * hold nothing later (stream ids only grow), so use a tenant of the test's own.
 */
export async function appendRecordPostedAt(fed: Federation, r: RoamingUse, atMs: number): Promise<string> {
  const requestId = `fx-${atMs}-${seq++}`;
  const record = roamingRecord(r, requestId, new Date(atMs).toISOString());
  const recordId = await fed.ledger.redis.xadd(
    tenantKeys(r.tenantId).usage,
    `${atMs}-*`,
    'req',
    requestId,
    'record',
    JSON.stringify(record),
    'posted',
    '100',
    'overage',
    '0',
    'flags',
    '',
  );
  return `${r.tenantId}/${recordId}`;
}

/** A signed statement between `a` and `b` with one usage line, stored as issued (`extra` overrides). */
export async function issueStatement(
  fed: Federation,
  id: string,
  a: string,
  b: string,
  extra: Partial<StatementPayload> = {},
): Promise<StatementPayload> {
  const [x, y] = a < b ? [a, b] : [b, a];
  const payload: StatementPayload = {
    type: 'federa.settlement.statement',
    version: 1,
    statementId: id,
    federation: fed.settlementConfig.federation,
    period: {
      id: '2020-01-01T00:00:00.000Z',
      start: '2020-01-01T00:00:00.000Z',
      end: '2020-01-01T01:00:00.000Z',
    },
    closedAt: '2020-01-01T01:05:00.000Z',
    settlementCurrency: 'EUR',
    parties: [x, y],
    lines: [
      {
        lineNo: 1,
        kind: 'usage',
        creditor: x,
        debtor: y,
        model: TEST_MODEL,
        originalPeriod: null,
        reference: null,
        records: 1,
        inputTokens: 1,
        outputTokens: 1,
        amount: 1000,
        currency: 'EUR',
        fx: { rate: '1.000000', rateMicros: 1_000_000, effectiveFrom: '2020-01-01T00:00:00.000Z' },
        settledAmount: 1000,
        merkleRoot: '00',
      },
    ],
    owed: [
      { debtor: x, creditor: y, amount: 0 },
      { debtor: y, creditor: x, amount: 1000 },
    ],
    net: { payer: y, payee: x, amount: 1000 },
    ...extra,
  };
  const jws = await signStatement(payload, fed.clearingKey.privateJwk);
  await fed.settlementStore.issue({ statementId: id, periodId: payload.period.id, parties: [x, y] }, jws, 0);
  return payload;
}

/**
 * Keeps `tenantId` off `siteIds` (a tenant override in the next registry version): how the roaming
 * fixtures send a tenant to another operator's site, so that settlement has a line to settle.
 */
export async function excludeSitesFor(
  fed: Pick<Federation, 'registry'>,
  tenantId: string,
  siteIds: readonly string[],
): Promise<void> {
  await fed.registry.update((t) => ({
    topology: {
      ...t,
      routing: {
        ...t.routing,
        version: t.routing.version + 1,
        tenantOverrides: { [tenantId]: { excludedSites: [...siteIds] } },
      },
    },
    result: null,
  }));
}

/**
 * A statement line's record references in leaf order: stored for version 1, derived from the usage
 * streams for version 2 (as the `records` procedure does).
 */
export async function lineRefs(fed: Federation, statementId: string, lineNo: number): Promise<string[]> {
  const jws = await fed.settlementStore.get(statementId);
  if (!jws) throw new Error(`no statement ${statementId}`);
  const { payload } = await verifyStatement(jws, { keys: [fed.clearingKey.publicJwk] });
  if (payload.version === 1) return fed.settlementStore.allRefs(statementId, lineNo);
  const refs: string[] = [];
  const reader = usageReader(fed.ledger, fed.settlementStore, fed.settlementConfig.archive);
  const ctx = {
    topology: await fed.registry.snapshot(),
    periodMs: fed.settlementConfig.periodMs,
    schedule: fed.settlementConfig.schedule,
  };
  for await (const { ref } of statementRecords(reader, ctx, payload, { lineNo })) refs.push(ref);
  return refs;
}
