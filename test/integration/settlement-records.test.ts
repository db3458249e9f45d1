/**
 * Version-2 statements store no record references: a line's records are derived from the usage
 * streams (the debtor's tenants, the statement's read window, the line's key), in leaf order, paged
 * by a cursor; an inclusion proof is made in one pass and must reproduce the signed root. Dispute
 * adjustments are kept per target period.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantKeys } from '@federa/ledger';
import { merkleRoot, periodOf, verifyInclusion, type StatementPayload } from '@federa/settlement';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { appendRecord } from '../support/settlement-fixtures';
import { TEST_EMBEDDING_MODEL, TEST_MODEL, testTopology } from '../support/topology';

const PERIOD_MS = 3000;
const GRACE_MS = 200;

describe('records of version-2 statements', () => {
  const s = uniqueSuffix();
  const [eu, fr, any] = [`${s}-eu`, `${s}-fr`, `${s}-any`];
  const [rhein, albion, pacific] = [`${s}-rhein`, `${s}-albion`, `${s}-pacific`];
  let fed: Federation;
  let token: string;
  let payload: StatementPayload;
  const refs = { llama: [] as string[], embed: [] as string[], home: '', otherStatement: '' };

  beforeAll(async () => {
    fed = await startFederation(testTopology(s), { settlement: { periodMs: PERIOD_MS, graceMs: GRACE_MS } });
    token = await fed.token('operator', albion);
    // all records in one period
    for (;;) {
      const p = periodOf(Date.now(), PERIOD_MS);
      if (p.endMs - Date.now() > 2000) break;
      await sleep(p.endMs - Date.now() + 20);
    }
    const period = periodOf(Date.now(), PERIOD_MS);
    const roam = (tenantId: string, model = TEST_MODEL) =>
      appendRecord(fed, {
        tenantId,
        homeOperator: rhein,
        servingOperator: albion,
        siteId: `${s}-sto`,
        extra: { model },
      });
    // interleaved across tenants: leaf order is still tenant by id, then stream order
    const byTenant: Record<string, string[]> = { [eu]: [], [fr]: [] };
    for (const tenant of [fr, eu, eu, fr, eu]) byTenant[tenant]!.push(await roam(tenant));
    refs.llama = [...byTenant[eu]!, ...byTenant[fr]!];
    refs.embed = [await roam(eu, TEST_EMBEDDING_MODEL), await roam(fr, TEST_EMBEDDING_MODEL)];
    refs.home = await appendRecord(fed, {
      tenantId: eu,
      homeOperator: rhein,
      servingOperator: rhein,
      siteId: `${s}-fra`,
    });
    refs.otherStatement = await appendRecord(fed, {
      tenantId: any,
      homeOperator: pacific,
      servingOperator: rhein,
      siteId: `${s}-fra`,
    });
    await sleep(period.endMs + GRACE_MS - Date.now() + 50);
    const { statements } = await fed.settle(period.id);
    payload = statements.find((x) => x.statementId === `${period.id}/${albion}~${rhein}`)!.payload;
  });
  afterAll(async () => fed?.close());

  const line = (model: string) => payload.lines.find((l) => l.model === model)!;
  const call = (procedure: string, input: unknown) => fed.call(procedure, input, token, { method: 'GET' });

  it('is version 2 in read order, and stores no record references', async () => {
    expect(payload).toMatchObject({ version: 2, recordOrder: 'tenant-stream' });
    expect(line(TEST_MODEL).records).toBe(5);
    expect(line(TEST_MODEL).merkleRoot).toBe(merkleRoot(refs.llama));
    expect(line(TEST_EMBEDDING_MODEL).merkleRoot).toBe(merkleRoot(refs.embed));
    for (const l of payload.lines)
      expect(await fed.settlementStore.allRefs(payload.statementId, l.lineNo)).toEqual([]);
  });

  it('pages a line’s records by cursor, in the order its root commits to', async () => {
    const { lineNo } = line(TEST_MODEL);
    const pages: string[][] = [];
    let after: string | undefined;
    do {
      const res = await call('settlement.records', {
        statementId: payload.statementId,
        lineNo,
        limit: 2,
        after,
      });
      expect(res.status).toBe(200);
      pages.push(res.body.result.data.recordRefs);
      after = res.body.result.data.next ?? undefined;
    } while (after);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(refs.llama);
    // a page ending exactly at the last record says so on the next one
    const all = await call('settlement.records', { statementId: payload.statementId, lineNo, limit: 5 });
    expect(all.body.result.data).toEqual({ recordRefs: refs.llama, next: refs.llama.at(-1) });
    const past = await call('settlement.records', {
      statementId: payload.statementId,
      lineNo,
      after: refs.llama.at(-1),
    });
    expect(past.body.result.data).toEqual({ recordRefs: [], next: null });
  });

  it('refuses offsets and malformed cursors for version 2', async () => {
    const { lineNo } = line(TEST_MODEL);
    const offset = await call('settlement.records', { statementId: payload.statementId, lineNo, offset: 1 });
    expect(offset.status).toBe(400);
    const bad = await call('settlement.records', { statementId: payload.statementId, lineNo, after: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.data.federaCode).toBe('VALIDATION_FAILED');
  });

  it('proves each record in its own line, and no record of another line or statement', async () => {
    for (const [model, list] of [
      [TEST_MODEL, refs.llama],
      [TEST_EMBEDDING_MODEL, refs.embed],
    ] as const) {
      for (const [index, recordRef] of list.entries()) {
        const res = await call('settlement.proveInclusion', { statementId: payload.statementId, recordRef });
        expect(res.body.result.data).toMatchObject({ lineNo: line(model).lineNo, verified: true });
        expect(res.body.result.data.proof).toMatchObject({ index, count: list.length });
        expect(verifyInclusion(res.body.result.data.proof, line(model).merkleRoot)).toBe(true);
      }
    }
    for (const recordRef of [refs.home, refs.otherStatement, `${eu}/1-0`])
      expect(
        (await call('settlement.proveInclusion', { statementId: payload.statementId, recordRef })).status,
      ).toBe(404);
  });

  it('refuses to prove when the usage no longer derives the signed root', async () => {
    const [tenantId, recordId] = [refs.embed[1]!.split('/')[0]!, refs.embed[1]!.split('/')[1]!];
    await fed.redis.xdel(tenantKeys(tenantId).usage, recordId);
    const res = await call('settlement.proveInclusion', {
      statementId: payload.statementId,
      recordRef: refs.embed[0],
    });
    expect(res.status).toBe(500);
    expect(res.body.error.data.federaCode).toBe('INTERNAL');
  });

  it('reads a period’s dispute adjustments only, including ones kept the old way', async () => {
    const legacy = `${fed.settlementStore.prefix}:adjustments`;
    const adj = (statementId: string, amount: number) =>
      JSON.stringify({ statementId, originalPeriod: 'p0', creditor: albion, debtor: rhein, amount });
    await fed.redis.hset(legacy, 'p1|old-a', adj('old-a', 5), 'p2|old-b', adj('old-b', 7));
    await fed.redis.hset(`${fed.settlementStore.prefix}:adjustments-for:p1`, 'new-c', adj('new-c', 9));
    expect((await fed.settlementStore.adjustmentsFor('p1')).map((a) => [a.statementId, a.amount])).toEqual([
      ['new-c', 9],
      ['old-a', 5],
    ]);
    expect((await fed.settlementStore.adjustmentsFor('p2')).map((a) => a.statementId)).toEqual(['old-b']);
    expect(await fed.settlementStore.adjustmentsFor('p3')).toEqual([]);
  });
});
