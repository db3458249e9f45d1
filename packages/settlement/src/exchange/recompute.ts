/**
 * Offline recomputation of a statement's exchange files, with no API: the statement document is
 * exactly the signed statement; settled amounts, owed and net follow from its lines; the usage
 * report sums to each line; detailed records, repriced one by one, sum to their line and rebuild its
 * Merkle root in leaf order; and every CSV is the rendering of its JSON twin. Each disagreement is a
 * problem, named; none means the files and the statement agree.
 */
import { FederaError, priceUsage } from '@federa/domain';
import type { JSONWebKeySet } from 'jose';
import { MerkleBuilder } from '../merkle-stream';
import { settleAmounts } from '../currency/settle-amounts';
import { convert, type FxRate } from '../money';
import { verifyStatement } from '../signing';
import type { StatementPayload } from '../statement';
import { detailedRecordsCsv, partsOf, type DetailedRecordsPart } from './detailed-records';
import { dayIn, periodTimeZone } from './records';
import { EXCHANGE_SCHEMAS, parseExchangeFileName } from './schemas';
import { statementCsv, statementDocument, type StatementDocument } from './statement-document';
import { usageReportCsv, type UsageReport } from './usage-report';

export interface RecomputeReport {
  readonly statementId: string | null;
  /** what was compared, for the CLI's summary */
  readonly checked: readonly string[];
  readonly problems: readonly string[];
}

interface Totals {
  records: number;
  inputTokens: number;
  outputTokens: number;
  amount: number;
}
const zero = (): Totals => ({ records: 0, inputTokens: 0, outputTokens: 0, amount: 0 });
const FIELDS = ['records', 'inputTokens', 'outputTokens', 'amount'] as const;

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const jsonText = (doc: unknown) => JSON.stringify(doc, null, 2) + '\n';

function payloadOf(jws: string): StatementPayload {
  return JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as StatementPayload;
}

async function verifiedPayload(
  jws: string,
  clearingJwks: JSONWebKeySet,
): Promise<StatementPayload | FederaError> {
  try {
    return (await verifyStatement(jws, clearingJwks)).payload;
  } catch (err) {
    if (err instanceof FederaError) return err;
    throw err;
  }
}

export async function recomputeExchange(
  files: ReadonlyMap<string, Uint8Array>,
  /** clearingJwks: also verify the statement `statement.json` carries (its clearing keys only) */
  opts: { clearingJwks?: JSONWebKeySet } = {},
): Promise<RecomputeReport> {
  const problems: string[] = [];
  const checked: string[] = [];
  const stmtBytes = files.get('statement.json');
  if (!stmtBytes) return { statementId: null, checked, problems: ['statement.json is missing'] };
  const doc = JSON.parse(text(stmtBytes)) as StatementDocument;
  if (doc.schema !== EXCHANGE_SCHEMAS.statement)
    return {
      statementId: null,
      checked,
      problems: [`statement.json: unsupported schema '${String(doc.schema)}'`],
    };
  const payload = opts.clearingJwks
    ? await verifiedPayload(doc.statementJws, opts.clearingJwks)
    : payloadOf(doc.statementJws);
  // a statement the clearing key did not sign: nothing else is worth comparing against it
  if (payload instanceof FederaError)
    return { statementId: null, checked, problems: [`statement.json: ${payload.message}`] };
  if (jsonText(statementDocument(payload, doc.statementJws)) !== text(stmtBytes))
    problems.push('statement.json differs from the signed statement it carries');
  checked.push('statement.json = signed statement');
  const same = (name: string, expected: string) => {
    const got = files.get(name);
    if (got === undefined) return;
    checked.push(`${name} = its JSON twin`);
    if (text(got) !== expected) problems.push(`${name} does not match its JSON twin`);
  };
  same('statement.csv', statementCsv(statementDocument(payload, doc.statementJws)));
  problems.push(...settledTotals(payload));
  checked.push('settled amounts, owed and net');

  const report = files.get('usage-report.json');
  const byDay = new Map<string, Totals>();
  if (report) {
    const r = JSON.parse(text(report)) as UsageReport;
    same('usage-report.csv', usageReportCsv(r));
    problems.push(...usageReportAgrees(payload, r, byDay));
    checked.push('usage report sums = statement lines');
  }
  problems.push(...detailedAgree(payload, files, report ? byDay : null, same, checked));
  return { statementId: payload.statementId, checked, problems };
}

function settledTotals(p: StatementPayload): string[] {
  const out: string[] = [];
  // version 1 converted each line alone; version 2 settles whole minor units with the remainder
  // carried across a direction's lines of one currency (currency/settle-amounts.ts), at the printed rates
  const rateOf = (currency: string): FxRate => {
    const l = p.lines.find((x) => x.currency === currency)!;
    return { from: currency, to: p.settlementCurrency, ...l.fx };
  };
  const again =
    p.version === 1
      ? p.lines.map((l) => convert(l.amount, l.fx.rateMicros))
      : settleAmounts(p.lines, p.settlementCurrency, rateOf);
  for (const [i, l] of p.lines.entries())
    if (again[i] !== l.settledAmount)
      out.push(`line ${l.lineNo}: settled amount ${l.settledAmount}, recomputed ${again[i]}`);
  const [a, b] = p.parties;
  const owes = (d: string) => p.lines.filter((l) => l.debtor === d).reduce((s, l) => s + l.settledAmount, 0);
  for (const o of p.owed)
    if (owes(o.debtor) !== o.amount)
      out.push(`owed by ${o.debtor}: ${o.amount}, recomputed ${owes(o.debtor)}`);
  const net = owes(a) - owes(b);
  const expected =
    net === 0
      ? { payer: null, payee: null, amount: 0 }
      : net > 0
        ? { payer: a, payee: b, amount: net }
        : { payer: b, payee: a, amount: -net };
  if (JSON.stringify(expected) !== JSON.stringify(p.net))
    out.push(`net ${JSON.stringify(p.net)}, recomputed ${JSON.stringify(expected)}`);
  return out;
}

function compareTotals(where: string, got: Totals, line: Totals): string[] {
  return FIELDS.filter((f) => got[f] !== line[f]).map(
    (f) => `${where}: ${f} sums to ${got[f]}, the statement says ${line[f]}`,
  );
}

function usageReportAgrees(p: StatementPayload, r: UsageReport, byDay: Map<string, Totals>): string[] {
  const out: string[] = [];
  if (r.schema !== EXCHANGE_SCHEMAS['usage-report'])
    return [`usage-report.json: unsupported schema '${String(r.schema)}'`];
  if (r.statementId !== p.statementId) out.push(`usage-report.json is for ${r.statementId}`);
  if (r.timeZone !== periodTimeZone(p))
    out.push(`usage-report.json: days in ${r.timeZone}, not ${periodTimeZone(p)}`);
  const sums = new Map<number, Totals>();
  for (const row of r.rows) {
    const line = p.lines.find((l) => l.lineNo === row.lineNo);
    if (!line || line.creditor !== row.creditor || line.debtor !== row.debtor || line.model !== row.model) {
      out.push(`usage-report.json: a row for line ${row.lineNo} matches no line of the statement`);
      continue;
    }
    const t = sums.get(row.lineNo) ?? zero();
    for (const f of FIELDS) t[f] += row[f];
    sums.set(row.lineNo, t);
    byDay.set(`${row.lineNo}|${row.day}`, {
      records: row.records,
      inputTokens: row.inputTokens,
      outputTokens: row.outputTokens,
      amount: row.amount,
    });
  }
  for (const l of p.lines)
    if (l.records > 0 || sums.has(l.lineNo))
      out.push(...compareTotals(`usage report, line ${l.lineNo}`, sums.get(l.lineNo) ?? zero(), l));
  return out;
}

function detailedAgree(
  p: StatementPayload,
  files: ReadonlyMap<string, Uint8Array>,
  byDay: Map<string, Totals> | null,
  same: (name: string, expected: string) => void,
  checked: string[],
): string[] {
  const out: string[] = [];
  const lines = new Set<number>();
  for (const name of files.keys()) {
    const f = parseExchangeFileName(name);
    if (f?.kind === 'detailed-records') lines.add(f.lineNo!);
  }
  const tz = periodTimeZone(p);
  for (const lineNo of [...lines].sort((a, b) => a - b)) {
    const line = p.lines.find((l) => l.lineNo === lineNo);
    if (!line) {
      out.push(`detailed records for line ${lineNo}, which the statement does not have`);
      continue;
    }
    const first = files.get(`detailed-records.line-${lineNo}.part-1.json`);
    if (!first) {
      out.push(`line ${lineNo}: detailed-records part 1 (JSON) is missing`);
      continue;
    }
    const { partRecords } = JSON.parse(text(first)) as DetailedRecordsPart;
    // the line's tree, built as the rows go past: a line of millions holds O(log n) hashes
    const tree = new MerkleBuilder();
    const sum = zero();
    const days = new Map<string, Totals>();
    for (let part = 1; part <= partsOf(line.records, partRecords); part++) {
      const name = `detailed-records.line-${lineNo}.part-${part}.json`;
      const bytes = files.get(name);
      if (!bytes) {
        out.push(`line ${lineNo}: ${name} is missing`);
        continue;
      }
      const d = JSON.parse(text(bytes)) as DetailedRecordsPart;
      if (
        d.schema !== EXCHANGE_SCHEMAS['detailed-records'] ||
        d.statementId !== p.statementId ||
        d.lineNo !== lineNo ||
        d.part !== part
      )
        out.push(`${name}: not part ${part} of line ${lineNo} of ${p.statementId}`);
      same(name.replace(/\.json$/, '.csv'), detailedRecordsCsv(d));
      for (const row of d.rows) {
        if (row.index !== tree.count)
          out.push(`${name}: row ${row.recordRef} is at index ${row.index}, expected ${tree.count}`);
        const again = priceUsage(
          { inputPer1M: row.inputPer1M, outputPer1M: row.outputPer1M },
          row.inputTokens,
          row.outputTokens,
        );
        if (again !== row.amount) out.push(`${name}: ${row.recordRef} costs ${again}, not ${row.amount}`);
        if (
          row.model !== line.model ||
          row.servingOperator !== line.creditor ||
          row.homeOperator !== line.debtor
        )
          out.push(`${name}: ${row.recordRef} does not belong to line ${lineNo}`);
        tree.add(row.recordRef);
        const day = days.get(dayIn(row.completedAt, tz)) ?? zero();
        for (const t of [sum, day]) {
          t.records++;
          t.inputTokens += row.inputTokens;
          t.outputTokens += row.outputTokens;
          t.amount += row.amount;
        }
        days.set(dayIn(row.completedAt, tz), day);
      }
    }
    out.push(...compareTotals(`detailed records, line ${lineNo}`, sum, line));
    const root = tree.root();
    if (root !== line.merkleRoot)
      out.push(`line ${lineNo}: detailed records give Merkle root ${root}, the statement ${line.merkleRoot}`);
    if (byDay)
      for (const [day, t] of days)
        out.push(
          ...compareTotals(
            `line ${lineNo} on ${day}, detailed vs usage report`,
            t,
            byDay.get(`${lineNo}|${day}`) ?? zero(),
          ),
        );
    checked.push(`line ${lineNo}: detailed records repriced, summed and Merkle root`);
  }
  return out;
}
