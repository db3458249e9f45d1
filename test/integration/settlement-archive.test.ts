/**
 * Usage archive: once periods are settled, their usage moves to gzip'd NDJSON segments on disk and
 * the live Redis streams are trimmed; usage.list, tenant statements, recomputes, re-runs and
 * inclusion proofs give the same answers as before.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantKeys } from '@federa/ledger';
import {
  archiveSettledUsage,
  computeStatements,
  periodOf,
  readManifest,
  segmentDir,
  type Period,
} from '@federa/settlement';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { appendRecord, lineRefs } from '../support/settlement-fixtures';
import { testTopology } from '../support/topology';

const PERIOD_MS = 2000;
const GRACE_MS = 200;

describe('usage archive', () => {
  const s = uniqueSuffix();
  const eu = `${s}-eu`;
  const rhein = `${s}-rhein`;
  const albion = `${s}-albion`;
  const dir = mkdtempSync(join(tmpdir(), 'federa-archive-'));
  let fed: Federation;
  let auditors = 0;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s), {
      settlement: { periodMs: PERIOD_MS, graceMs: GRACE_MS, archive: { dir, afterMs: 0 } },
    });
  });
  afterAll(async () => fed?.close());

  const roam = () =>
    appendRecord(fed, { tenantId: eu, homeOperator: rhein, servingOperator: albion, siteId: `${s}-sto` });
  const home = () =>
    appendRecord(fed, { tenantId: eu, homeOperator: rhein, servingOperator: rhein, siteId: `${s}-fra` });
  const freshPeriod = async (): Promise<Period> => {
    for (;;) {
      const p = periodOf(Date.now(), PERIOD_MS);
      if (p.endMs - Date.now() > 1200) return p;
      await sleep(p.endMs - Date.now() + 20);
    }
  };

  /** every answer a reader can get about the two periods */
  async function answers(periods: Period[], eu: string) {
    const tenant = await fed.token('tenant', eu);
    const operator = await fed.token('operator', rhein);
    const pages: unknown[] = [];
    let before: string | undefined;
    do {
      const res = await fed.call('usage.list', { limit: 2, ...(before ? { before } : {}) }, tenant, {
        method: 'GET',
      });
      pages.push(res.body.result.data.records);
      before = res.body.result.data.nextBefore;
    } while (before);
    const out = {
      pages,
      statements: [] as unknown[],
      proofs: [] as unknown[],
      tenantStatements: [] as unknown[],
    };
    for (const p of periods) {
      const id = `${p.id}/${albion}~${rhein}`;
      const { jws } = (await fed.call('settlement.get', { statementId: id }, operator, { method: 'GET' }))
        .body.result.data;
      // recomputes are rate-limited per caller: one auditor per recompute
      const auditor = await fed.token('admin', `auditor-${auditors++}@federation`);
      const verify = await fed.call('settlement.verify', { jws }, auditor);
      expect(verify.body.result.data).toMatchObject({ signatureValid: true, totalsMatch: true });
      const again = await computeStatements(
        {
          ledger: fed.ledger,
          store: fed.settlementStore,
          topology: () => fed.registry.snapshot(),
          config: fed.settlementConfig,
        },
        p.id,
      );
      const ref = (await lineRefs(fed, id, 1))[0]!;
      const proof = await fed.call(
        'settlement.proveInclusion',
        { statementId: id, recordRef: ref },
        operator,
        { method: 'GET' },
      );
      const mine = await fed.call('settlement.tenantStatement', { periodId: p.id }, tenant, {
        method: 'GET',
      });
      out.statements.push(
        verify.body.result.data,
        again.statements.map((x) => x.payload),
      );
      out.proofs.push(proof.body.result.data);
      out.tenantStatements.push(mine.body.result.data);
    }
    return out;
  }

  it('archives settled periods, trims the streams, and every answer stays the same', async () => {
    const p1 = await freshPeriod();
    const inP1 = [await roam(), await roam(), await home()];
    await sleep(p1.endMs - Date.now() + 50);
    const p2 = periodOf(Date.now(), PERIOD_MS);
    const inP2 = [await roam(), await roam()];
    await sleep(p2.endMs + GRACE_MS - Date.now() + 50);
    await fed.settle(p1.id);
    await fed.settle(p2.id);
    const usageKey = tenantKeys(eu).usage;
    const liveBefore = await fed.redis.xlen(usageKey);
    expect(liveBefore).toBe(inP1.length + inP2.length);
    const before = await answers([p1, p2], eu);

    const deps = {
      ledger: fed.ledger,
      store: fed.settlementStore,
      topology: () => fed.registry.snapshot(),
      config: fed.settlementConfig,
    };
    const segments = await archiveSettledUsage(deps, Date.now());
    expect(segments).toEqual([
      { fromMs: 0, toMs: p1.endMs },
      { fromMs: p1.endMs, toMs: p2.endMs },
    ]);
    // the live stream keeps only the last archived segment (trimmed one segment behind)
    expect(await fed.redis.xlen(usageKey)).toBe(inP2.length);
    const root = join(dir, encodeURIComponent(fed.settlementStore.namespace));
    expect((await readManifest(segmentDir(root, segments[0]!)))?.tenants[eu]?.records).toBe(inP1.length);
    expect((await readManifest(segmentDir(root, segments[1]!)))?.tenants[eu]?.records).toBe(inP2.length);
    expect(await answers([p1, p2], eu)).toEqual(before);

    // a later segment trims the rest; nothing is lost, nothing counted twice
    const p3 = periodOf(Date.now(), PERIOD_MS);
    const inP3 = [await roam()];
    await sleep(p3.endMs + GRACE_MS - Date.now() + 50);
    // every period since p2 is settled (answers() may have taken more than one period)
    for (let start = p2.endMs; start <= p3.startMs; start += PERIOD_MS)
      await fed.settle(new Date(start).toISOString());
    const later = await archiveSettledUsage(deps, Date.now());
    expect(later[0]?.fromMs).toBe(p2.endMs);
    expect(later.at(-1)?.toMs).toBe(p3.endMs);
    expect(later.every((seg, i) => i === 0 || seg.fromMs === later[i - 1]!.toMs)).toBe(true);
    // trimmed one segment behind: only the last segment's records stay live
    expect(await fed.redis.xlen(usageKey)).toBe(inP3.length);
    const after = await answers([p1, p2], eu);
    expect(after.statements).toEqual(before.statements);
    expect(after.proofs).toEqual(before.proofs);
    expect(after.tenantStatements).toEqual(before.tenantStatements);
    const ids = (after.pages as { recordId: string }[][]).flat().map((r) => `${eu}/${r.recordId}`);
    expect(ids).toEqual([...inP3, ...inP2, ...inP1].sort().reverse());
    // archiving again finds nothing new and changes nothing
    expect(await archiveSettledUsage(deps, Date.now())).toEqual([]);
  });
});
