/**
 * Roaming settlement on the real stack: a Temporal Schedule settles closed periods by itself into
 * signed, netted statements that verify offline; re-runs change nothing; late records and resolved
 * disputes land in the next statement; parties alone see and act on their statements.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CompactSign, base64url, generateKeyPair, importJWK, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { priceUsage, type UsageRecord } from '@federa/domain';
import {
  convertToMinorUnits,
  periodOf,
  signStatement,
  verifyInclusion,
  verifyStatement,
  type StatementPayload,
} from '@federa/settlement';
import { excludeSitesFor, lineRefs } from '../support/settlement-fixtures';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';

const PERIOD_MS = 4000;
const GRACE_MS = 500;

async function until<T>(
  what: string,
  check: () => Promise<T | null | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('settlement', () => {
  const s = uniqueSuffix();
  const eu = `${s}-eu`; // home: rhein; served at sto (albion) by policy below → roaming
  const rhein = `${s}-rhein`;
  const albion = `${s}-albion`;
  let fed: Federation;
  let admin: string;
  let rheinToken: string;
  let albionToken: string;
  let euToken: string;
  let n = 0;
  let firstPeriod = '';

  beforeAll(async () => {
    fed = await startFederation(testTopology(s), {
      settlement: { periodMs: PERIOD_MS, graceMs: GRACE_MS },
      scheduleEveryMs: 1000,
    });
    await excludeSitesFor(fed, eu, [`${s}-par`, `${s}-fra`]);
    admin = await fed.token('admin', 'clearing@federation');
    rheinToken = await fed.token('operator', rhein);
    albionToken = await fed.token('operator', albion);
    euToken = await fed.token('tenant', eu);
    // warm the data plane's control worker (its first workflow task loads the workflow code) outside
    // the timed periods below; home usage (fr at Paris, Rhein's own site) makes no statement line
    const warm = await fed.call('inference.complete', chat('warm-up'), await fed.token('tenant', `${s}-fr`));
    expect(warm.status).toBe(200);
  });
  afterAll(async () => fed?.close());

  const serveEu = async () => {
    const res = await fed.call('inference.complete', chat(`settle-${n++}`), euToken);
    expect(res.status).toBe(200);
    expect(res.body.result.data.route.siteId).toBe(`${s}-sto`);
    return res.body.result.data;
  };
  const statementFor = (periodId: string) =>
    until(`the statement of ${periodId}`, async () => {
      const id = `${periodId}/${albion}~${rhein}`;
      const res = await fed.call('settlement.get', { statementId: id }, rheinToken, { method: 'GET' });
      return res.status === 200
        ? (res.body.result.data as { jws: string; statement: StatementPayload; csv?: string })
        : null;
    });
  /** wait for the start of a fresh period with room for the test's steps */
  const freshPeriod = async (room = 2500) => {
    for (;;) {
      const p = periodOf(Date.now(), PERIOD_MS);
      if (p.endMs - Date.now() > room && Date.now() - p.startMs < 300) return p;
      await sleep(Math.max(10, p.endMs - Date.now() + 20));
    }
  };

  it('settles a closed period by itself, signed and netted, pricing each record with its own card', async () => {
    const period = await freshPeriod(3200);
    const before = [await serveEu(), await serveEu()];
    // a new albion card takes effect mid-period; records on each side keep their own price
    const switchAt = new Date(Date.now() + 600).toISOString();
    // big enough that the period's roaming settles to whole cents (a few tokens at 0.1 EUR/M do not)
    const newWholesale = { inputPer1M: 900_000_000, outputPer1M: 2_700_000_000 };
    const added = await fed.call(
      'rateCards.add',
      {
        operator: albion,
        model: TEST_MODEL,
        effectiveFrom: switchAt,
        retail: { inputPer1M: 210_000, outputPer1M: 610_000 },
        wholesale: newWholesale,
      },
      admin,
    );
    expect(added.status).toBe(200);
    await sleep(Date.parse(switchAt) - Date.now() + 50);
    const after = [await serveEu()];
    expect(Date.now()).toBeLessThan(period.endMs);
    // home usage makes no inter-operator line
    expect(
      (await fed.call('inference.complete', chat(`home-${n++}`), await fed.token('tenant', `${s}-any`)))
        .status,
    ).toBe(200);

    firstPeriod = period.id;
    const { statement, jws } = await statementFor(period.id); // no manual call: the schedule settles it
    expect(statement.parties).toEqual([albion, rhein]);
    const usage = statement.lines.filter((l) => l.kind === 'usage');
    expect(usage).toHaveLength(1);
    const line = usage[0]!;
    expect(line).toMatchObject({
      creditor: albion,
      debtor: rhein,
      model: TEST_MODEL,
      records: 3,
      currency: 'EUR',
    });
    const oldWholesale = { inputPer1M: 100_000, outputPer1M: 300_000 };
    const expected =
      before.reduce(
        (sum, d) => sum + priceUsage(oldWholesale, d.usage.inputTokens, d.usage.outputTokens),
        0,
      ) +
      after.reduce((sum, d) => sum + priceUsage(newWholesale, d.usage.inputTokens, d.usage.outputTokens), 0);
    expect(line.amount).toBe(expected);
    // settled in whole cents (half to even): micro-units of wholesale price round to the cent
    const cents = convertToMinorUnits(expected, 1_000_000, 'EUR');
    expect(line.settledAmount).toBe(cents);
    expect(statement.net).toEqual({ payer: rhein, payee: albion, amount: cents });
    // the ledger's own wholesale charges agree, record by record
    const records = await fed.ledger.listUsage(eu, { limit: 10 });
    expect(
      records
        .filter(
          (r) => Date.parse(r.completedAt) < period.endMs && Date.parse(r.completedAt) >= period.startMs,
        )
        .reduce((sum, r) => sum + r.wholesaleCharge, 0),
    ).toBe(expected);

    // verifies offline with the published key, and its totals recompute from the records
    const published = (await fetch(`${fed.api.url}/.well-known/federa-clearing-jwks.json`).then((r) =>
      r.json(),
    )) as JSONWebKeySet;
    expect((await verifyStatement(jws, published)).payload.statementId).toBe(statement.statementId);
    const checked = await fed.call('settlement.verify', { jws }, albionToken);
    expect(checked.body.result.data).toMatchObject({
      signatureValid: true,
      totalsMatch: true,
      differences: [],
    });
  });

  it('settles a period once: a repeat, a manual run and a direct re-run give the identical statement', async () => {
    const period = { id: firstPeriod };
    const ids = await fed.settlementStore.forOperator(rhein);
    const jwsBefore = await fed.settlementStore.get(`${period.id}/${albion}~${rhein}`);
    expect(jwsBefore).toBeTruthy();
    const manual = await fed.call('settlement.run', { periodId: period.id }, admin);
    expect(manual.status).toBe(200);
    const direct = await fed.settle(period.id);
    expect(direct.alreadySettled).toBe(true);
    expect(await fed.settlementStore.forOperator(rhein)).toEqual(ids);
    expect(await fed.settlementStore.get(`${period.id}/${albion}~${rhein}`)).toBe(jwsBefore);
    // Ed25519 signatures are deterministic: recomputing signs to the very same bytes
    const resigned = await signStatement(
      direct.statements.find((x) => x.statementId === `${period.id}/${albion}~${rhein}`)!.payload,
      fed.clearingKey.privateJwk,
    );
    expect(resigned).toBe(jwsBefore);
  });

  it('fails verification when any byte is tampered with or the key is unknown', async () => {
    const ids = await fed.settlementStore.forOperator(rhein);
    const jws = (await fed.settlementStore.get(ids[0]!))!;
    const [h, p, sig] = jws.split('.') as [string, string, string];
    const original = new TextDecoder().decode(base64url.decode(p));
    const payload = original.replace(/"records":(\d+)/, (_m, d: string) => `"records":${Number(d) + 1}`);
    expect(payload).not.toBe(original);
    const tampered = `${h}.${base64url.encode(payload)}.${sig}`;
    expect(
      (await fed.call('settlement.verify', { jws: tampered, recompute: false }, rheinToken)).body.result.data
        .signatureValid,
    ).toBe(false);
    const at = sig.length - 2;
    const flipped = `${h}.${p}.${sig.slice(0, at)}${sig[at] === 'A' ? 'B' : 'A'}${sig.slice(at + 1)}`;
    expect(
      (await fed.call('settlement.verify', { jws: flipped, recompute: false }, rheinToken)).body.result.data
        .signatureValid,
    ).toBe(false);
    const { privateKey } = await generateKeyPair('Ed25519');
    const forged = await new CompactSign(base64url.decode(p))
      .setProtectedHeader({ alg: 'EdDSA', kid: fed.clearingKey.publicJwk.kid })
      .sign(privateKey);
    expect(
      (await fed.call('settlement.verify', { jws: forged, recompute: false }, rheinToken)).body.result.data
        .signatureValid,
    ).toBe(false);
    await expect(verifyStatement(forged, { keys: [fed.clearingKey.publicJwk] })).rejects.toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
  });

  it("accepts no statement minted with the API's own key (the exchange-file key), online or offline", async () => {
    const [id] = await fed.settlementStore.forOperator(rhein);
    const genuine = (await fed.settlementStore.get(id!))!;
    const payload = base64url.decode(genuine.split('.')[1]!);
    // what a compromised API could sign: a statement, with the only private key it holds
    const minted = await new CompactSign(payload)
      .setProtectedHeader({ alg: 'EdDSA', kid: fed.exchangeKey.publicJwk.kid, typ: 'federa-statement+jws' })
      .sign(await importJWK(fed.exchangeKey.privateJwk, 'EdDSA'));
    expect(
      (await fed.call('settlement.verify', { jws: minted, recompute: false }, rheinToken)).body.result.data
        .signatureValid,
    ).toBe(false);
    // offline, even against both key sets the API publishes, merged into one
    const published = async (path: string) =>
      ((await fetch(`${fed.api.url}${path}`).then((r) => r.json())) as JSONWebKeySet).keys;
    const both = {
      keys: [
        ...(await published('/.well-known/federa-clearing-jwks.json')),
        ...(await published('/.well-known/federa-exchange-jwks.json')),
      ],
    };
    expect(both.keys.map((k) => k.kid)).toEqual([
      fed.clearingKey.publicJwk.kid,
      fed.exchangeKey.publicJwk.kid,
    ]);
    await expect(verifyStatement(minted, both)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    expect((await verifyStatement(genuine, both)).payload.statementId).toBe(id);
    // and Federa's own signer will not make one
    await expect(
      signStatement(
        JSON.parse(new TextDecoder().decode(payload)) as StatementPayload,
        fed.exchangeKey.privateJwk,
      ),
    ).rejects.toMatchObject({ code: 'KEY_PURPOSE_MISMATCH' });
  });

  it('lets only the parties read, accept or dispute a statement', async () => {
    const [id] = await fed.settlementStore.forOperator(rhein);
    const outsider = await fed.token('operator', `${s}-pacific`);
    expect((await fed.call('settlement.get', { statementId: id }, outsider, { method: 'GET' })).status).toBe(
      404,
    );
    expect((await fed.call('settlement.accept', { statementId: id }, outsider)).status).toBe(404);
    expect(
      (await fed.call('settlement.dispute', { statementId: id, lines: [{ lineNo: 1, amount: 1 }] }, outsider))
        .status,
    ).toBe(404);
    expect((await fed.call('settlement.list', {}, outsider, { method: 'GET' })).body.result.data).toEqual([]);
    expect((await fed.call('settlement.get', { statementId: id }, euToken, { method: 'GET' })).status).toBe(
      403,
    );
    const mine = (await fed.call('settlement.list', {}, albionToken, { method: 'GET' })).body.result.data as {
      statementId: string;
    }[];
    expect(mine.map((x) => x.statementId)).toContain(id);
  });

  it('exports CSV, lists each line’s records and proves a record’s inclusion', async () => {
    const [id] = await fed.settlementStore.forOperator(rhein);
    const got = (
      await fed.call('settlement.get', { statementId: id, format: 'csv' }, rheinToken, { method: 'GET' })
    ).body.result.data;
    const rows = (got.csv as string).trim().split('\r\n');
    expect(rows[0]).toMatch(/^lineNo,kind,creditor,debtor,model/);
    expect(rows).toHaveLength(got.statement.lines.length + 1);
    const refs = (
      await fed.call('settlement.records', { statementId: id, lineNo: 1 }, rheinToken, { method: 'GET' })
    ).body.result.data.recordRefs as string[];
    expect(refs).toHaveLength(got.statement.lines[0].records);
    const proof = (
      await fed.call('settlement.proveInclusion', { statementId: id, recordRef: refs[0] }, albionToken, {
        method: 'GET',
      })
    ).body.result.data;
    expect(proof).toMatchObject({ lineNo: 1, verified: true, lineRoot: got.statement.lines[0].merkleRoot });
    expect(verifyInclusion(proof.proof, got.statement.lines[0].merkleRoot)).toBe(true);
    expect(
      (
        await fed.call(
          'settlement.proveInclusion',
          { statementId: id, recordRef: `${eu}/1-0` },
          albionToken,
          { method: 'GET' },
        )
      ).status,
    ).toBe(404);
  });

  it('puts a record that arrives after its period closed into the next statement, once, as an adjustment', async () => {
    const closed = periodOf(Date.now() - PERIOD_MS - GRACE_MS - 100, PERIOD_MS);
    await until('the closed period to be settled', () => fed.settlementStore.isSettled(closed.id));
    const statementBefore = await fed.settlementStore.get(`${closed.id}/${albion}~${rhein}`);
    // the site finished inside the closed period, but the record reaches the ledger only now
    const at = new Date(closed.startMs + 1000).toISOString();
    const record: UsageRecord = {
      requestId: `late-${s}`,
      tenantId: eu,
      homeOperator: rhein,
      servingOperator: albion,
      siteId: `${s}-sto`,
      jurisdiction: 'SE',
      model: TEST_MODEL,
      inputTokens: 1000,
      outputTokens: 1000,
      currency: 'EUR',
      retailCharge: 800,
      wholesaleCharge: 400,
      policyVersion: 2,
      startedAt: at,
      completedAt: at,
      failedAttempts: 0,
      flags: [],
    };
    await fed.ledger.reserve({
      tenantId: eu,
      requestId: record.requestId,
      amount: 800,
      expiresAt: Date.now() + 60_000,
    });
    const posted = await fed.ledger.post({ tenantId: eu, requestId: record.requestId, actual: 800, record });
    // the run whose window [start + grace, end + grace) holds the post time settles it
    const postedAt = Number(posted.recordId!.split('-')[0]);
    const next = periodOf(postedAt - GRACE_MS, PERIOD_MS);

    const { statement } = await statementFor(next.id);
    const late = statement.lines.filter((l) => l.kind === 'late-usage');
    expect(late).toHaveLength(1);
    expect(late[0]).toMatchObject({ originalPeriod: closed.id, records: 1, creditor: albion, debtor: rhein });
    // priced with albion's card in force at the record's own time (the mid-period change above may or may not precede it)
    const card = (await fed.registry.snapshot()).rateAt(albion, TEST_MODEL, Date.parse(at))!.wholesale;
    expect(late[0]!.amount).toBe(priceUsage(card, 1000, 1000));
    // the closed statement was not rewritten, and the record is in no other statement
    expect(await fed.settlementStore.get(`${closed.id}/${albion}~${rhein}`)).toBe(statementBefore);
    const all = await fed.settlementStore.forOperator(rhein);
    let seen = 0;
    for (const id of all) {
      const p = (
        await verifyStatement((await fed.settlementStore.get(id))!, { keys: [fed.clearingKey.publicJwk] })
      ).payload;
      for (const l of p.lines)
        if (
          (await lineRefs(fed, id, l.lineNo)).some((r) => r.startsWith(`${eu}/`) && l.kind === 'late-usage')
        )
          seen++;
    }
    expect(seen).toBe(1);
  });

  it('records a dispute line by line and settles the admin’s resolution in the next statement', async () => {
    const [id] = await fed.settlementStore.forOperator(rhein);
    const { statement } = (
      await fed.call('settlement.get', { statementId: id }, rheinToken, { method: 'GET' })
    ).body.result.data as { statement: StatementPayload };
    const line = statement.lines[0]!;
    const disputed = await fed.call(
      'settlement.dispute',
      { statementId: id, lines: [{ lineNo: line.lineNo, amount: line.settledAmount + 70_000 }] },
      rheinToken,
    );
    expect(disputed.status, JSON.stringify(disputed.body)).toBe(200);
    expect(disputed.body.result.data).toMatchObject({
      status: 'disputed',
      dispute: {
        by: rhein,
        lines: [
          {
            lineNo: line.lineNo,
            stated: line.settledAmount,
            claimed: line.settledAmount + 70_000,
            difference: 70_000,
          },
        ],
      },
    });
    expect((await fed.call('settlement.accept', { statementId: id }, albionToken)).status).toBe(409);

    const resolved = await fed.call(
      'settlement.resolve',
      { statementId: id, creditor: rhein, debtor: albion, amount: 70_000 },
      admin,
    );
    expect(resolved.status).toBe(200);
    const target = resolved.body.result.data.resolution.targetPeriod as string;
    const { statement: next } = await statementFor(target);
    expect(next.lines.filter((l) => l.kind === 'dispute-adjustment')).toEqual([
      expect.objectContaining({
        creditor: rhein,
        debtor: albion,
        amount: 70_000,
        settledAmount: 70_000,
        reference: id,
        originalPeriod: statement.period.id,
      }),
    ]);
    const audit = (await fed.call('audit.list', { limit: 20 }, admin, { method: 'GET' })).body.result.data
      .entries as { procedure: string }[];
    expect(audit.map((e) => e.procedure)).toEqual(
      expect.arrayContaining(['settlement.dispute', 'settlement.resolve']),
    );
  }, 30_000);

  it('gives a tenant its retail usage for a period', async () => {
    const periodId = firstPeriod;
    const res = await fed.call('settlement.tenantStatement', { periodId }, euToken, { method: 'GET' });
    expect(res.status).toBe(200);
    const start = Date.parse(periodId);
    // records of the period by their own time, that reached the ledger before the period closed
    const records = (await fed.ledger.listUsage(eu, { limit: 100 })).filter(
      (r) =>
        Date.parse(r.completedAt) >= start &&
        Date.parse(r.completedAt) < start + PERIOD_MS &&
        Number(r.recordId.split('-')[0]) < start + PERIOD_MS + GRACE_MS,
    );
    expect(records.length).toBeGreaterThanOrEqual(3);
    expect(res.body.result.data.total).toBe(records.reduce((sum, r) => sum + r.retailCharge, 0));
  });
});
