/**
 * The federation unchanged on a Redis Cluster (the shared 3-master one): the API, the workers and
 * the harness connect with a redis+cluster:// URL, and the request path (ledger hold, post, usage
 * record), the registry (a drain through the API) and settlement (a closed period settled into a
 * signed statement) behave as on one Redis.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { periodOf, verifyStatement, type StatementPayload } from '@federa/settlement';
import { excludeSitesFor } from '../support/settlement-fixtures';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';

const PERIOD_MS = 3000;

describe('a federation on a Redis Cluster', () => {
  const s = uniqueSuffix();
  const eu = `${s}-eu`;
  const rhein = `${s}-rhein`;
  const albion = `${s}-albion`;
  let fed: Federation;
  let admin: string;
  let euToken: string;
  let n = 0;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s), {
      redisUrl: `redis+cluster://${inject('redisClusterNodes').join(',')}`,
      settlement: { periodMs: PERIOD_MS, graceMs: 300 },
      scheduleEveryMs: 1000,
    });
    // eu (home: rhein) is served at albion's Stockholm site: roaming, so settlement has a line
    await excludeSitesFor(fed, eu, [`${s}-par`, `${s}-fra`]);
    admin = await fed.token('admin', 'ops@federation');
    euToken = await fed.token('tenant', eu);
  });
  afterAll(async () => fed?.close());

  const serve = async (token = euToken) => {
    const res = await fed.call('inference.complete', chat(`cluster-${n++}`), token);
    expect(res.status).toBe(200);
    return res.body.result.data as { requestId: string; route: { siteId: string } };
  };

  it('holds, posts and records each request once, and follows a drain made through the API', async () => {
    const served = [await serve(), await serve()];
    expect(served.map((d) => d.route.siteId)).toEqual([`${s}-sto`, `${s}-sto`]);
    const records = await fed.ledger.listUsage(eu, { limit: 10 });
    expect(records.map((r) => r.requestId).sort()).toEqual(served.map((d) => d.requestId).sort());
    expect(await fed.ledger.account(eu)).toMatchObject({
      pending: 0,
      posted: records.reduce((sum, r) => sum + r.retailCharge, 0),
    });

    const any = await fed.token('tenant', `${s}-any`);
    const best = (await serve(any)).route.siteId;
    const owner = fed.topology.site(best).operator;
    const drained = await fed.call('sites.drain', { siteId: best }, await fed.token('operator', owner));
    expect(drained.body.result.data.status).toBe('draining');
    expect((await serve(any)).route.siteId).not.toBe(best);
    const explain = await fed.call('routing.explain', { model: TEST_MODEL }, any, { method: 'GET' });
    expect(explain.body.result.data.excluded).toContainEqual(
      expect.objectContaining({ siteId: best, reason: 'DRAINING' }),
    );
    expect((await fed.call('audit.list', { limit: 5 }, admin, { method: 'GET' })).status).toBe(200);
  });

  it('settles a closed period into a signed statement', async () => {
    const { requestId } = await serve();
    const record = (await fed.ledger.listUsage(eu, { limit: 10 })).find((r) => r.requestId === requestId)!;
    const period = periodOf(Date.parse(record.completedAt), PERIOD_MS);
    const id = `${period.id}/${albion}~${rhein}`;
    const rheinToken = await fed.token('operator', rhein);
    let found: { jws: string; statement: StatementPayload } | null = null;
    for (let i = 0; i < 200 && !found; i++) {
      const res = await fed.call('settlement.get', { statementId: id }, rheinToken, { method: 'GET' });
      if (res.status === 200) found = res.body.result.data as { jws: string; statement: StatementPayload };
      else await sleep(100);
    }
    expect(found?.statement.parties).toEqual([albion, rhein]);
    expect(
      (await verifyStatement(found!.jws, { keys: [fed.clearingKey.publicJwk] })).payload.statementId,
    ).toBe(id);
  });
});
