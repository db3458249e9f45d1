/**
 * An operator's month, end to end, on the real stack (Redis, Temporal, the API, the CLI): two
 * operators agreed to settle by calendar month in Europe/Paris. Last month's roaming usage settles
 * into one statement; the debtor downloads its signed exchange files with the CLI and checks them
 * offline (signatures against the published key sets, totals recomputed from the detailed records);
 * the creditor disputes a line within the agreed window; an admin upholds the dispute; and the next
 * month's statement carries the resolution as a dispute-adjustment line naming the disputed month.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodIn, previousPeriodIn, type Schedule, type StatementPayload } from '@federa/settlement';
import { runCli } from '../support/cli';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { appendRecordPostedAt } from '../support/settlement-fixtures';
import { testTopology } from '../support/topology';

const MONTH: Schedule = { kind: 'calendar', unit: 'month', timeZone: 'Europe/Paris' };

/** the CLI as a partner runs it */
const cli = runCli;

describe("an operator's month: settle, download, verify offline, dispute, see the resolution", () => {
  const s = uniqueSuffix();
  const rhein = `${s}-rhein`;
  const albion = `${s}-albion`;
  const dir = mkdtempSync(join(tmpdir(), 'federa-journey-'));
  const thisMonth = periodIn(MONTH, Date.now());
  const lastMonth = previousPeriodIn(MONTH, thisMonth);
  let fed: Federation;
  let statement: StatementPayload;

  beforeAll(async () => {
    fed = await startFederation(
      {
        ...testTopology(s),
        // a window longer than any month, so the dispute below is inside it whatever today's date
        agreements: [
          { parties: [rhein, albion], period: 'month', timeZone: 'Europe/Paris', disputeWindowDays: 45 },
        ],
      },
      { settlement: { periodMs: 3_600_000, graceMs: 1000 } },
    );
    // rhein's tenant served at albion's site last month, three requests (posted then)
    for (let i = 0; i < 3; i++)
      await appendRecordPostedAt(
        fed,
        {
          tenantId: `${s}-eu`,
          homeOperator: rhein,
          servingOperator: albion,
          siteId: `${s}-sto`,
          inputTokens: 1000 + i,
          outputTokens: 100 + i,
        },
        lastMonth.startMs + 3_600_000 * (i + 1),
      );
  });
  afterAll(async () => fed?.close());

  it('settles last month into one statement of the pair, in its calendar period', async () => {
    const settled = await fed.settle(lastMonth.id);
    expect(settled.statements.map((x) => x.statementId)).toEqual([`${lastMonth.id}/${albion}~${rhein}`]);
    statement = settled.statements[0]!.payload;
    expect(statement.period).toMatchObject({ id: lastMonth.id, unit: 'month', timeZone: 'Europe/Paris' });
    expect(statement.lines.map((l) => [l.kind, l.creditor, l.debtor, l.records])).toEqual([
      ['usage', albion, rhein, 3],
    ]);
  });

  it('the debtor downloads the signed files and checks them offline with the CLI', async () => {
    const publish = async (path: string, file: string) => {
      writeFileSync(file, await (await fetch(`${fed.api.url}${path}`)).text());
      return file;
    };
    const fileJwks = await publish(
      '/.well-known/federa-exchange-jwks.json',
      join(dir, '..', `${s}-files.json`),
    );
    const clearingJwks = await publish(
      '/.well-known/federa-clearing-jwks.json',
      join(dir, '..', `${s}-clearing.json`),
    );
    const download = await cli([
      'exchange',
      'download',
      statement.statementId,
      '--out',
      dir,
      '--detailed',
      '--api',
      fed.api.url,
      '--token',
      await fed.token('operator', rhein),
    ]);
    expect(download.code, download.out).toBe(0);
    // from here on nothing talks to the API: the files and the two published key sets only
    const verify = await cli([
      'exchange',
      'verify',
      join(dir, 'statement.json'),
      '--file-jwks',
      fileJwks,
      '--clearing-jwks',
      clearingJwks,
    ]);
    expect(verify.code, verify.out).toBe(0);
    const recompute = await cli([
      'exchange',
      'recompute',
      dir,
      '--clearing-jwks',
      clearingJwks,
      '--file-jwks',
      fileJwks,
    ]);
    expect(recompute.code, recompute.out).toBe(0);
    expect(recompute.out).toContain(statement.statementId);
  });

  it('the creditor disputes a line within the window; the resolution lands in the next month', async () => {
    const line = statement.lines[0]!;
    const disputed = await fed.call(
      'settlement.dispute',
      {
        statementId: statement.statementId,
        lines: [{ lineNo: line.lineNo, amount: line.settledAmount + 10_000 }],
      },
      await fed.token('operator', albion),
    );
    expect(disputed.status, JSON.stringify(disputed.body)).toBe(200);
    const resolved = await fed.call(
      'settlement.resolve',
      { statementId: statement.statementId, creditor: albion, debtor: rhein, amount: 10_000 },
      await fed.token('admin', 'clearing@federation'),
    );
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect(resolved.body.result.data.resolution.targetPeriod).toBe(thisMonth.id);

    // this month's run (made early here: nobody waits a month in a test) carries the adjustment
    const next = (await fed.settle(thisMonth.id)).statements.map((x) => x.payload);
    expect(next.map((p) => p.statementId)).toEqual([`${thisMonth.id}/${albion}~${rhein}`]);
    expect(
      next[0]!.lines.map((l) => [l.kind, l.creditor, l.debtor, l.originalPeriod, l.settledAmount]),
    ).toEqual([['dispute-adjustment', albion, rhein, lastMonth.id, 10_000]]);

    // and either party sees the old statement resolved, pointing at where the money went
    const seen = await fed.call(
      'settlement.get',
      { statementId: statement.statementId },
      await fed.token('operator', rhein),
      {
        method: 'GET',
      },
    );
    expect(seen.status).toBe(200);
    expect(seen.body.result.data.lifecycle).toMatchObject({
      status: 'resolved',
      resolution: { targetPeriod: thisMonth.id, amount: 10_000, creditor: albion, debtor: rhein },
    });
  });
});
