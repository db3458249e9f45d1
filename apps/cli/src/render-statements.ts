/**
 * How settlement answers read in a terminal. Amounts stay in the integer minor units the signed
 * statement carries, so what is on screen matches the JWS and the CSV digit for digit.
 */
import type { StatementPayload } from '@federa/settlement';
import type { Outputs } from './client';
import { formatRecord, formatTable, type Cell } from './table';

type Settlement = Outputs['settlement'];
type Lifecycle = NonNullable<Settlement['get']['lifecycle']>;
type Net = StatementPayload['net'];

export function describeNet(net: Net, currency: string): string {
  return net.payer === null || net.payee === null
    ? `even (0 ${currency})`
    : `${net.payer} pays ${net.payee} ${net.amount} ${currency}`;
}

/** `issued (final)` once the dispute window has closed: the statement is binding */
const statusText = (status: string, final: boolean) => (final ? `${status} (final)` : status);

export function renderStatementList(list: Settlement['list']): string {
  return formatTable(
    ['STATEMENT', 'LINES', 'NET', 'STATUS', 'DISPUTE DEADLINE'],
    list.map((s) => [
      s.statementId,
      s.lines,
      describeNet(s.net, s.currency),
      statusText(s.status, s.final),
      s.disputeDeadline,
    ]),
  );
}

/** The header every view of one statement starts with (get, and verify once the signature holds). */
export function statementHeader(p: StatementPayload): (readonly [string, Cell])[] {
  return [
    ['statement', p.statementId],
    ['period', `${p.period.start} .. ${p.period.end}`],
    ['parties', p.parties.join(', ')],
    ['currency', `${p.settlementCurrency} (amounts in minor units)`],
    ['net', describeNet(p.net, p.settlementCurrency)],
    ...payeeNet(p),
    ...(p.disputeDeadline ? [['dispute deadline', p.disputeDeadline] as const] : []),
  ];
}

/** Version 2: the payee's position in its own currency, with the rate it was converted at. */
function payeeNet(p: StatementPayload): (readonly [string, Cell])[] {
  const n = p.netInPayeeCurrency;
  if (!n || n.currency === p.settlementCurrency) return [];
  return [
    [
      'net for payee',
      `${n.amount} ${n.currency} (rate ${n.fx.rate}, ${n.fx.source ?? '-'}, from ${n.fx.effectiveFrom})`,
    ],
  ];
}

export function renderStatement(got: Settlement['get']): string {
  const p = got.statement;
  const head = formatRecord([
    ...statementHeader(p),
    ...lifecyclePairs(got.lifecycle),
    ['final', got.final],
    ...(got.creditNote ? [['credit note', creditNoteText(got.creditNote)] as const] : []),
  ]);
  const lines = formatTable(
    [
      'LINE',
      'KIND',
      'CREDITOR',
      'DEBTOR',
      'MODEL',
      'ORIGINAL PERIOD',
      'RECORDS',
      'AMOUNT',
      'CURRENCY',
      'FX RATE',
      'FX SOURCE',
      'FX FROM',
      `SETTLED (${p.settlementCurrency})`,
    ],
    p.lines.map((l) => [
      l.lineNo,
      l.kind,
      l.creditor,
      l.debtor,
      l.model,
      l.originalPeriod,
      l.records,
      l.amount,
      l.currency,
      l.fx.rate,
      l.fx.source ?? null,
      l.fx.effectiveFrom,
      l.settledAmount,
    ]),
  );
  return `${head}\n\n${lines}${renderSiteDisputes(p)}`;
}

/** Informational: where serving sites claimed other token counts than were billed (not priced). */
function renderSiteDisputes(p: StatementPayload): string {
  const disputes = p.siteUsageDisputes ?? [];
  if (disputes.length === 0) return '';
  const table = formatTable(
    ['CREDITOR', 'DEBTOR', 'MODEL', 'RECORDS', 'BILLED IN/OUT', 'SITE CLAIMED IN/OUT'],
    disputes.map((d) => [
      d.creditor,
      d.debtor,
      d.model,
      d.records,
      `${d.billed.inputTokens}/${d.billed.outputTokens}`,
      `${d.siteReported.inputTokens}/${d.siteReported.outputTokens}`,
    ]),
  );
  return `\n\nsite-usage disputes (priced on billed tokens only)\n${table}`;
}

function lifecyclePairs(l: Lifecycle | null): (readonly [string, Cell])[] {
  if (l === null) return [['status', null]];
  const pairs: (readonly [string, Cell])[] = [
    ['status', l.status],
    ['accepted by', l.acceptedBy.join(', ')],
  ];
  if (l.dispute) pairs.push(['disputed by', `${l.dispute.by} at ${l.dispute.at}`]);
  if (l.resolution) {
    const r = l.resolution;
    const where = r.creditNoteId ? `by credit note ${r.creditNoteId}` : `in period ${r.targetPeriod}`;
    pairs.push(['resolution', `${r.debtor} pays ${r.creditor} ${r.amount} ${where} (by ${r.by} at ${r.at})`]);
  }
  return pairs;
}

function creditNoteText(n: NonNullable<Settlement['get']['creditNote']>): string {
  return 'jws' in n ? `${n.creditNoteId} (signed)` : `${n.creditNoteId} (pending: signed on the next run)`;
}

export function renderLifecycle(l: Lifecycle): string {
  return formatRecord(lifecyclePairs(l));
}

export function renderDispute(l: Settlement['dispute']): string {
  const table = formatTable(
    ['LINE', 'STATED', 'CLAIMED', 'DIFFERENCE'],
    (l.dispute?.lines ?? []).map((d) => [d.lineNo, d.stated, d.claimed, d.difference]),
  );
  return `${renderLifecycle(l)}\n\n${table}`;
}

export function renderProof(r: Settlement['proveInclusion'], verifiedLocally: boolean): string {
  return formatRecord([
    ['record', r.proof.recordId],
    ['line', r.lineNo],
    ['root', r.lineRoot],
    ['leaf', `${r.proof.index + 1} of ${r.proof.count} (${r.proof.path.length} sibling hashes)`],
    ['verified by API', r.verified],
    ['verified locally', verifiedLocally],
  ]);
}

type VerifyAnswer = Settlement['verify'];

/** What the API found when it recomputed the statement from its usage records. */
export function renderRecompute(v: VerifyAnswer): string {
  // signatureValid is a plain boolean in the inferred type; the `reason` field is what tells them apart
  if ('reason' in v) return `API: signature INVALID: ${v.reason}`;
  const verdict = `API: signature valid (kid ${v.kid ?? '-'}), totals match: ${
    v.totalsMatch === null ? 'not recomputed' : v.totalsMatch ? 'yes' : 'no'
  }`;
  if (v.differences.length === 0) {
    return v.totalsMatch === false
      ? `${verdict}\nthe recomputed statement has a different number of lines`
      : verdict;
  }
  const table = formatTable(
    ['LINE', 'FIELD', 'STATED', 'RECOMPUTED'],
    v.differences.map((d) => [d.lineNo, d.field, d.stated, d.recomputed]),
  );
  return `${verdict}\n\n${table}`;
}
