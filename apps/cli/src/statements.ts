/**
 * Settlement statements: read and act on them through the API, and verify a saved one offline
 * against the federation's published clearing JWKS, so a party need not take the API's word for it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { FederaError, periodInputSchema } from '@federa/domain';
import { verifyInclusion, verifyStatement, type StatementPayload } from '@federa/settlement';
import { networkCode, UsageError, type Outputs } from './client';
import { ADMIN, show, type Command, type CommandOutput } from './command';
import {
  renderDispute,
  renderLifecycle,
  renderProof,
  renderRecompute,
  renderStatement,
  renderStatementList,
  statementHeader,
} from './render-statements';
import { formatRecord, formatTable } from './table';

type Jwks = Parameters<typeof verifyStatement>[1];
type Settlement = Outputs['settlement'];

/** A JWKS host that never answers should fail the check, not hang it. */
const JWKS_FETCH_TIMEOUT_MS = 10_000;
const STATEMENT_TYPE = 'federa.settlement.statement';

export const STATEMENT_COMMANDS: Readonly<Record<string, Command>> = {
  'statements list': {
    usage: 'statements list [--operator ID]   (operators: --as operator:ID)',
    as: ADMIN,
    options: { operator: { type: 'string' } },
    run: (c, a) => show(c.settlement.list.query({ operator: a.string('operator') }), renderStatementList),
  },
  'statements get': {
    usage: 'statements get STATEMENT_ID [--csv] [--out FILE]   (--out saves the signed JWS)',
    as: ADMIN,
    positionals: ['STATEMENT_ID'],
    options: { csv: { type: 'boolean', default: false }, out: { type: 'string' } },
    run: async (c, a) => {
      const csv = a.flag('csv');
      const got = await c.settlement.get.query({
        statementId: a.positional(0, 'STATEMENT_ID'),
        format: csv ? 'csv' : 'json',
      });
      const out = a.string('out');
      if (out !== undefined) {
        writeFileSync(out, got.jws);
        // stderr, so `--csv > lines.csv` and --json stay clean
        console.error(
          `signed statement written to ${out} (check it: federa statements verify ${out} --jwks …)`,
        );
      }
      // console.log ends the output with its own line break
      const text = csv ? (got.csv ?? '').replace(/\r?\n$/, '') : renderStatement(got);
      return { result: got, text };
    },
  },
  'statements verify': {
    usage: 'statements verify FILE --jwks FILE_OR_URL [--recompute]   (offline unless --recompute)',
    as: ADMIN,
    positionals: ['FILE'],
    options: { jwks: { type: 'string' }, recompute: { type: 'boolean', default: false } },
    local: async (a, connect) => {
      const jwksSource = a.required('jwks');
      const jws = readText(a.positional(0, 'FILE'), 'the statement').trim();
      const offline = await verifyOffline(jws, await loadJwks(jwksSource));
      if (offline.failed || !a.flag('recompute')) return offline;
      const client = await connect();
      const answer = await client.settlement.verify.mutate({ jws, recompute: true });
      return {
        result: { ...offline.result, recompute: answer },
        text: `${offline.text}\n\n${renderRecompute(answer)}`,
        failed: !answer.signatureValid || answer.totalsMatch !== true,
      };
    },
  },
  'statements accept': {
    usage: 'statements accept STATEMENT_ID   (as a party: --as operator:ID)',
    as: ADMIN,
    positionals: ['STATEMENT_ID'],
    run: (c, a) =>
      show(c.settlement.accept.mutate({ statementId: a.positional(0, 'STATEMENT_ID') }), renderLifecycle),
  },
  'statements dispute': {
    usage: 'statements dispute STATEMENT_ID --line N=AMOUNT [--line N=AMOUNT …]   (as a party)',
    as: ADMIN,
    positionals: ['STATEMENT_ID'],
    options: { line: { type: 'string', multiple: true } },
    run: (c, a) => {
      const input = {
        statementId: a.positional(0, 'STATEMENT_ID'),
        lines: parseLineClaims(a.strings('line')),
      };
      return show(c.settlement.dispute.mutate(input), renderDispute);
    },
  },
  'statements prove': {
    usage:
      'statements prove STATEMENT_ID RECORD_REF --jwks FILE_OR_URL   (RECORD_REF: tenant/recordId; checked against the signed statement)',
    as: ADMIN,
    positionals: ['STATEMENT_ID', 'RECORD_REF'],
    options: { jwks: { type: 'string' } },
    run: async (c, a) => {
      const statementId = a.positional(0, 'STATEMENT_ID');
      const recordRef = a.positional(1, 'RECORD_REF');
      const jwks = await loadJwks(a.required('jwks'));
      const { jws } = await c.settlement.get.query({ statementId });
      const r = await c.settlement.proveInclusion.query({ statementId, recordRef });
      return checkProof({ jws, jwks, statementId, recordRef, answer: r });
    },
  },
  'statements run': {
    usage: 'statements run PERIOD   (admin; waits for the settlement to finish)',
    as: ADMIN,
    positionals: ['PERIOD'],
    run: (c, a) => {
      const periodId = a.positional(0, 'PERIOD');
      const input = periodInputSchema.safeParse({ periodId });
      if (!input.success)
        throw new UsageError(
          `PERIOD takes a calendar period like 2030-01@Europe/Paris or a fixed period's ISO start like 2030-01-01T00:00:00Z (got '${periodId}')`,
        );
      return show(c.settlement.run.mutate(input.data), renderRun);
    },
  },
};

/** `--line 3=12000`: line number and the disputing party's own amount, settlement minor units. */
export function parseLineClaims(specs: readonly string[]): { lineNo: number; amount: number }[] {
  if (specs.length === 0) throw new UsageError('at least one --line N=AMOUNT is required');
  const seen = new Set<number>();
  return specs.map((spec) => {
    const m = /^(\d+)=(\d+)$/.exec(spec.trim());
    const lineNo = Number(m?.[1]);
    const amount = Number(m?.[2]);
    if (!m || lineNo < 1 || !Number.isSafeInteger(lineNo) || !Number.isSafeInteger(amount))
      throw new UsageError(`--line takes N=AMOUNT, integers in minor units (got '${spec}')`);
    // Two claims for one line would leave the API to pick one silently.
    if (seen.has(lineNo)) throw new UsageError(`--line ${lineNo} is given twice`);
    seen.add(lineNo);
    return { lineNo, amount };
  });
}

type Verdict =
  | { readonly signatureValid: false; readonly reason: string }
  | ({ readonly signatureValid: true; readonly kid: string | null } & Pick<
      StatementPayload,
      'statementId' | 'period' | 'parties' | 'settlementCurrency' | 'net'
    >);

/** Signature check with the clearing JWKS only: no API, no credentials. */
export async function verifyOffline(jws: string, jwks: Jwks): Promise<CommandOutput<Verdict>> {
  let verified;
  try {
    verified = await verifyStatement(jws, jwks);
  } catch (err) {
    if (!(err instanceof FederaError)) throw err;
    return invalid(err.message);
  }
  const { payload, kid } = verified;
  // The clearing key could sign other documents one day; a valid signature alone is not a statement.
  if ((payload as { type?: unknown }).type !== STATEMENT_TYPE)
    return invalid(`the signed payload is not a ${STATEMENT_TYPE}`);
  const result: Verdict = {
    signatureValid: true,
    kid: kid ?? null,
    statementId: payload.statementId,
    period: payload.period,
    parties: payload.parties,
    settlementCurrency: payload.settlementCurrency,
    net: payload.net,
  };
  return {
    result,
    text: `signature valid (kid ${kid ?? '-'})\n${formatRecord(statementHeader(payload))}`,
  };
}

function invalid(reason: string): CommandOutput<Verdict> {
  return { result: { signatureValid: false, reason }, text: `signature INVALID: ${reason}`, failed: true };
}

/**
 * An inclusion proof is only as good as the root it is checked against: take that root from the
 * statement the clearing key signed (verified here with the JWKS), never from the API's answer.
 */
export async function checkProof(args: {
  jws: string;
  jwks: Jwks;
  statementId: string;
  recordRef: string;
  answer: Settlement['proveInclusion'];
}): Promise<CommandOutput> {
  const { answer } = args;
  const signature = await verifyOffline(args.jws, args.jwks);
  if (signature.failed) return signature;
  const { payload } = await verifyStatement(args.jws, args.jwks);
  const problems: string[] = [];
  if (payload.statementId !== args.statementId)
    problems.push(`the signed statement is ${payload.statementId}, not ${args.statementId}`);
  if (answer.proof.recordId !== args.recordRef)
    problems.push(`the proof is for ${answer.proof.recordId}, not ${args.recordRef}`);
  const signedRoot = payload.lines.find((l) => l.lineNo === answer.lineNo)?.merkleRoot ?? null;
  if (signedRoot === null) problems.push(`the signed statement has no line ${answer.lineNo}`);
  else if (signedRoot !== answer.lineRoot)
    problems.push(`the API's root for line ${answer.lineNo} is not the one in the signed statement`);
  const verifiedLocally =
    problems.length === 0 && signedRoot !== null && verifyInclusion(answer.proof, signedRoot);
  const text = [renderProof(answer, verifiedLocally), ...problems.map((p) => `NOT VERIFIED: ${p}`)].join(
    '\n',
  );
  return { result: { ...answer, signedRoot, verifiedLocally }, text, failed: !verifiedLocally };
}

/** A local file, or the API's (or a mirror's) published /.well-known/federa-clearing-jwks.json. */
export async function loadJwks(source: string): Promise<Jwks> {
  const json: unknown = /^https?:\/\//i.test(source) ? await fetchJson(source) : parseJson(source);
  const isJwks =
    typeof json === 'object' &&
    json !== null &&
    'keys' in json &&
    Array.isArray(json.keys) &&
    json.keys.every((k) => typeof k === 'object' && k !== null);
  if (!isJwks) throw new UsageError(`${source} is not a JWKS (expected {"keys": [...]})`);
  return json as Jwks;
}

async function fetchJson(url: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS) });
  } catch (err) {
    const reason = networkCode(err) ?? (err instanceof Error ? err.message : String(err));
    throw new Error(`cannot fetch the JWKS from ${url}: ${reason}`);
  }
  if (!res.ok) throw new Error(`cannot fetch the JWKS from ${url}: HTTP ${res.status}`);
  try {
    return await res.json();
  } catch {
    throw new Error(`${url} did not answer with JSON`);
  }
}

function parseJson(file: string): unknown {
  try {
    return JSON.parse(readText(file, 'the JWKS'));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${file} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read ${what} from ${file}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** The API passes the workflow's result through untyped; it is checked here before it is tabled. */
const settledSchema = z.array(
  z.object({
    periodId: z.string(),
    statementIds: z.array(z.string()),
    records: z.number(),
    lateRecords: z.number(),
    alreadySettled: z.boolean(),
  }),
);

export function renderRun(result: Outputs['settlement']['run']): string {
  const parsed = settledSchema.safeParse(result);
  if (!parsed.success) return JSON.stringify(result, null, 2);
  if (parsed.data.length === 0) return 'nothing to settle';
  return formatTable(
    ['PERIOD', 'RECORDS', 'LATE', 'ALREADY SETTLED', 'STATEMENTS'],
    parsed.data.map((s) => [
      s.periodId,
      s.records,
      s.lateRecords,
      s.alreadySettled,
      s.statementIds.join(', '),
    ]),
  );
}
