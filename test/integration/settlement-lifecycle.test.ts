/**
 * Statement lifecycle under concurrency, on the real API and Redis: every transition is a
 * compare-and-set, so simultaneous accepts both count, an accept racing a dispute has exactly one
 * winner, a resolution lands once, and concurrent runs of one period issue its statement (and the
 * line's record references) once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodOf } from '@federa/settlement';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { appendRecord, issueStatement, lineRefs } from '../support/settlement-fixtures';
import { testTopology } from '../support/topology';

const ROUNDS = 12;

describe('statement lifecycle races', () => {
  const s = uniqueSuffix();
  const rhein = `${s}-rhein`;
  const albion = `${s}-albion`;
  let fed: Federation;
  let rheinToken: string;
  let albionToken: string;
  let admin: string;
  let n = 0;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s));
    rheinToken = await fed.token('operator', rhein);
    albionToken = await fed.token('operator', albion);
    admin = await fed.token('admin', 'clearing@federation');
  });
  afterAll(async () => fed?.close());

  const fresh = async () => {
    const id = `${s}/race-${n++}`;
    await issueStatement(fed, id, rhein, albion);
    return id;
  };
  const accept = (id: string, token: string) => fed.call('settlement.accept', { statementId: id }, token);
  const dispute = (id: string, token: string) =>
    fed.call('settlement.dispute', { statementId: id, lines: [{ lineNo: 1, amount: 900 }] }, token);
  const codeOf = (res: { status: number; body: any }) =>
    res.status === 200 ? 'OK' : (res.body.error.data.federaCode as string);

  it('counts both parties when they accept at the same moment', async () => {
    for (let i = 0; i < ROUNDS; i++) {
      const id = await fresh();
      const [a, b] = await Promise.all([accept(id, rheinToken), accept(id, albionToken)]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const lifecycle = await fed.settlementStore.lifecycle(id);
      expect(lifecycle).toMatchObject({ status: 'accepted', acceptedBy: [albion, rhein].sort() });
    }
  });

  it('treats one party accepting twice at once as one acceptance (idempotent)', async () => {
    const id = await fresh();
    const [a, b] = await Promise.all([accept(id, rheinToken), accept(id, rheinToken)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.result.data).toEqual(b.body.result.data);
    expect(await fed.settlementStore.lifecycle(id)).toMatchObject({ status: 'issued', acceptedBy: [rhein] });
  });

  it('lets exactly one of an accept and a dispute win; the other gets STATEMENT_STATE', async () => {
    for (let i = 0; i < ROUNDS; i++) {
      // the accept that would complete the statement races the same party's dispute
      const id = await fresh();
      expect((await accept(id, rheinToken)).status).toBe(200);
      const [acc, dis] = await Promise.all([accept(id, albionToken), dispute(id, albionToken)]);
      const codes = [codeOf(acc), codeOf(dis)].sort();
      expect(codes).toEqual(['OK', 'STATEMENT_STATE']);
      const lifecycle = await fed.settlementStore.lifecycle(id);
      expect(lifecycle?.status).toBe(codeOf(acc) === 'OK' ? 'accepted' : 'disputed');
    }
  });

  it('does not let a party dispute what it has already accepted', async () => {
    const id = await fresh();
    expect((await accept(id, rheinToken)).status).toBe(200);
    expect(codeOf(await dispute(id, rheinToken))).toBe('STATEMENT_STATE');
    // the other party still may
    expect(codeOf(await dispute(id, albionToken))).toBe('OK');
  });

  it('resolves a dispute once when two admins resolve it at the same moment', async () => {
    const id = await fresh();
    expect((await dispute(id, albionToken)).status).toBe(200);
    const resolve = (amount: number) =>
      fed.call('settlement.resolve', { statementId: id, creditor: rhein, debtor: albion, amount }, admin);
    const results = await Promise.all([resolve(100), resolve(200)]);
    expect(results.map(codeOf).sort()).toEqual(['OK', 'STATEMENT_STATE']);
    const winner = results.find((r) => r.status === 200)!.body.result.data;
    const adjustments = await fed.settlementStore.adjustmentsFor(winner.resolution.targetPeriod);
    expect(adjustments.filter((a) => a.statementId === id)).toEqual([
      expect.objectContaining({ amount: winner.resolution.amount }),
    ]);
  });

  it('issues a period once when several runs settle it at the same moment', async () => {
    // keep every record in one period
    const left = periodOf(Date.now(), fed.settlementConfig.periodMs).endMs - Date.now();
    if (left < 10_000) await sleep(left + 50);
    const records = [];
    for (let i = 0; i < 5; i++)
      records.push(
        await appendRecord(fed, {
          tenantId: `${s}-eu`,
          homeOperator: rhein,
          servingOperator: albion,
          siteId: `${s}-sto`,
        }),
      );
    const period = periodOf(Date.now(), fed.settlementConfig.periodMs);
    const runs = await Promise.all(Array.from({ length: 6 }, () => fed.settle(period.id)));
    const id = `${period.id}/${albion}~${rhein}`;
    expect(new Set(runs.map((r) => r.statements.find((x) => x.statementId === id)?.jws)).size).toBe(1);
    // version 2: the line's records in read order (one tenant: its stream order), derived, not stored
    expect(await lineRefs(fed, id, 1)).toEqual(records);
    expect((await fed.settlementStore.forOperator(rhein)).filter((x) => x === id)).toEqual([id]);
    expect(await fed.settlementStore.lifecycle(id)).toMatchObject({ status: 'issued', acceptedBy: [] });
  });
});
