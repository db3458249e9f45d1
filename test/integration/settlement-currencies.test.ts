/**
 * A federation of EUR, SEK, USD and JPY operators settling on the real stack (Redis, Temporal, the
 * API): each pair nets in its agreed currency with the effective-dated rates, in whole minor units,
 * and every party sees its net in its own currency. Disputes keep to their window, and an upheld
 * dispute settles as the pair agreed: an adjustment next period, or a signed credit note.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { priceUsage, type TopologyInput } from '@federa/domain';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  creditNoteFor,
  creditNoteIdOf,
  periodOf,
  verifyCreditNote,
  verifyStatement,
  type Lifecycle,
  type StatementPayload,
} from '@federa/settlement';
import { appendRecord, issueStatement } from '../support/settlement-fixtures';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';

const PER_EUR: Record<string, number> = { EUR: 1_000_000, SEK: 11_234_500, USD: 1_085_700, JPY: 163_270_000 };
const cross = (from: string, to: string) => Math.round((PER_EUR[to]! * 1_000_000) / PER_EUR[from]!);
/** micro-units per minor unit, as ISO 4217 has it (written out here, not asked of the code under test) */
const STEP: Record<string, bigint> = { EUR: 10_000n, SEK: 10_000n, USD: 10_000n, JPY: 1_000_000n };
/** the rule, independently: amount × rate, half to even on the minor unit */
function settle(amount: number, rateMicros: number, to: string): number {
  const n = BigInt(amount) * BigInt(rateMicros);
  const d = 1_000_000n * STEP[to]!;
  const q = n / d;
  const r = n - q * d;
  const up = 2n * r > d || (2n * r === d && q % 2n === 1n);
  return Number((up ? q + 1n : q) * STEP[to]!);
}

const WHOLESALE: Record<string, { inputPer1M: number; outputPer1M: number }> = {
  EUR: { inputPer1M: 9_876_543_211, outputPer1M: 12_345_678_913 },
  SEK: { inputPer1M: 98_765_432_117, outputPer1M: 123_456_789_139 },
  USD: { inputPer1M: 10_111_213_141, outputPer1M: 13_121_110_987 },
  JPY: { inputPer1M: 1_612_345_678_901, outputPer1M: 2_015_555_555_551 },
};

describe('settlement in several currencies', () => {
  const s = uniqueSuffix();
  const op = { rhein: `${s}-rhein`, albion: `${s}-albion`, pacific: `${s}-pacific`, nippon: `${s}-nippon` };
  const CURRENCY: Record<string, string> = {
    [op.rhein]: 'EUR',
    [op.albion]: 'SEK',
    [op.pacific]: 'USD',
    [op.nippon]: 'JPY',
  };
  let fed: Federation;
  let admin: string;
  const tokens: Record<string, string> = {};
  let statements: StatementPayload[] = [];
  const period = () => periodOf(Date.now(), 3_600_000);

  function topology(): TopologyInput {
    const t = testTopology(s);
    const fxStart = period().id;
    const currencies = Object.keys(PER_EUR);
    return {
      ...t,
      operators: [
        ...t.operators.map((o) => ({
          ...o,
          currency: CURRENCY[o.id]!,
          rateCard: {
            ...o.rateCard,
            [TEST_MODEL]: { retail: WHOLESALE.EUR!, wholesale: WHOLESALE[CURRENCY[o.id]!]! },
          },
        })),
        {
          id: op.nippon,
          name: 'Nippon',
          country: 'JP',
          currency: 'JPY',
          rateCard: { [TEST_MODEL]: { retail: WHOLESALE.JPY!, wholesale: WHOLESALE.JPY! } },
        },
      ],
      sites: t.sites.map((x) => (x.id === `${s}-tyo` ? { ...x, operator: op.nippon } : x)),
      tenants: [
        ...t.tenants,
        ...(['se', 'jp'] as const).map((c) => ({
          id: `${s}-${c}`,
          name: c,
          homeOperator: c === 'se' ? op.albion : op.nippon,
          residency: ['ANY'],
          budget: 10_000_000,
          region: c,
          location: { lat: 0, lon: 0 },
        })),
      ],
      fxRates: currencies.flatMap((from) =>
        currencies
          .filter((to) => to !== from)
          .flatMap((to) => [
            { from, to, rateMicros: cross(from, to) + 1_000, effectiveFrom: '2020-01-01T00:00:00.000Z' },
            // the rate changes as the period starts: the new one is in force at its end
            { from, to, rateMicros: cross(from, to), effectiveFrom: fxStart, source: 'ECB' },
            { from, to, rateMicros: 1, effectiveFrom: '2099-01-01T00:00:00.000Z', source: 'future' },
          ]),
      ),
      agreements: [
        { parties: [op.rhein, op.nippon], currency: 'JPY', resolution: 'credit-note' },
        {
          parties: [op.albion, op.pacific],
          currency: 'USD',
          disputeWindowDays: 1,
          timeZone: 'Europe/London',
        },
      ],
    };
  }

  /** who serves whom: [tenant, home, serving operator, site, input tokens, output tokens] */
  const TRAFFIC = [
    ['se', op.albion, op.rhein, 'par', 1234, 2345],
    ['eu', op.rhein, op.albion, 'sto', 3210, 111],
    ['jp', op.nippon, op.rhein, 'fra', 777, 999],
    ['eu', op.rhein, op.nippon, 'tyo', 1001, 1999],
    ['any', op.pacific, op.albion, 'lon', 4321, 1234],
    ['jp', op.nippon, op.pacific, 'ash', 2468, 1357],
    ['jp', op.nippon, op.pacific, 'ash', 13, 17],
  ] as const;

  beforeAll(async () => {
    fed = await startFederation(topology());
    admin = await fed.token('admin', 'clearing@federation');
    for (const o of Object.values(op)) tokens[o] = await fed.token('operator', o);
    // keep every record in one period
    const left = period().endMs - Date.now();
    if (left < 30_000) await sleep(left + 50);
    for (const [tenant, home, serving, site, input, output] of TRAFFIC)
      await appendRecord(fed, {
        tenantId: `${s}-${tenant}`,
        homeOperator: home,
        servingOperator: serving,
        siteId: `${s}-${site}`,
        inputTokens: input,
        outputTokens: output,
      });
    statements = (await fed.settle(period().id)).statements.map((x) => x.payload);
  });
  afterAll(async () => fed?.close());

  const get = async (id: string, who: string) =>
    (await fed.call('settlement.get', { statementId: id }, tokens[who] ?? who, { method: 'GET' })) as {
      status: number;
      body: any;
    };

  it('nets each pair in its agreed currency, whole minor units, with the rates in force', () => {
    const pairs = statements.map((p) => [p.parties.join('~'), p.settlementCurrency]);
    expect(Object.fromEntries(pairs)).toEqual({
      [[op.albion, op.rhein].sort().join('~')]: 'EUR',
      [[op.nippon, op.rhein].sort().join('~')]: 'JPY',
      [[op.albion, op.pacific].sort().join('~')]: 'USD',
      [[op.nippon, op.pacific].sort().join('~')]: 'EUR',
    });
    for (const p of statements) {
      expect(p.version).toBe(2);
      const to = p.settlementCurrency;
      for (const debtor of p.parties) {
        const creditor = p.parties.find((x) => x !== debtor)!;
        const records = TRAFFIC.filter(([, home, serving]) => home === debtor && serving === creditor);
        const from = CURRENCY[creditor]!;
        const total = records.reduce((sum, r) => sum + priceUsage(WHOLESALE[from]!, r[4], r[5]), 0);
        const rate = from === to ? 1_000_000 : cross(from, to);
        const owed = settle(total, rate, to);
        expect(p.owed.find((o) => o.debtor === debtor)!.amount).toBe(owed);
        for (const l of p.lines.filter((x) => x.debtor === debtor)) {
          expect(l).toMatchObject({ currency: from, amount: total });
          expect(l.fx).toMatchObject({ rateMicros: rate, source: from === to ? 'identity' : 'ECB' });
          expect(l.settledAmount % Number(STEP[to]!)).toBe(0);
        }
      }
      const [a, b] = p.parties;
      const diff = p.owed[0]!.amount - p.owed[1]!.amount;
      expect(p.net).toEqual(
        diff > 0 ? { payer: a, payee: b, amount: diff } : { payer: b, payee: a, amount: -diff },
      );
      const payeeCurrency = CURRENCY[p.net.payee!]!;
      const r = payeeCurrency === to ? 1_000_000 : cross(to, payeeCurrency);
      expect(p.netInPayeeCurrency).toMatchObject({
        currency: payeeCurrency,
        amount: settle(p.net.amount, r, payeeCurrency),
        fx: { rateMicros: r },
      });
    }
    // the JPY pair: whole yen everywhere
    const jpy = statements.find((p) => p.settlementCurrency === 'JPY')!;
    for (const l of jpy.lines) expect(l.settledAmount % 1_000_000).toBe(0);
  });

  it('recomputes each statement to the same totals from the usage records', async () => {
    for (const p of statements) {
      const { body } = await get(p.statementId, p.parties[0]);
      const res = await fed.call('settlement.verify', { jws: body.result.data.jws }, tokens[p.parties[0]]);
      expect(res.body.result.data).toMatchObject({
        signatureValid: true,
        totalsMatch: true,
        differences: [],
      });
    }
  });

  it('prints the dispute deadline per agreement and refuses a dispute after it, changing nothing', async () => {
    const usd = statements.find((p) => p.settlementCurrency === 'USD')!;
    // one calendar day in London from the close (no clock change in between at this time of year)
    expect(Date.parse(usd.disputeDeadline!) - Date.parse(usd.closedAt)).toBe(86_400_000);
    const eur = statements.find((p) => p.parties.includes(op.rhein) && p.settlementCurrency === 'EUR')!;
    expect(Date.parse(eur.disputeDeadline!) - Date.parse(eur.closedAt)).toBe(30 * 86_400_000);

    // a statement whose window has closed
    const id = `${s}/closed-window`;
    await issueStatement(fed, id, op.rhein, op.albion, {
      version: 2,
      disputeDeadline: new Date(Date.now() - 1000).toISOString(),
    });
    const before = await fed.settlementStore.lifecycle(id);
    const res = await fed.call(
      'settlement.dispute',
      { statementId: id, lines: [{ lineNo: 1, amount: 900 }] },
      tokens[op.rhein],
    );
    expect(res.status).toBe(409);
    expect(res.body.error.data.federaCode).toBe('DISPUTE_WINDOW_CLOSED');
    expect(await fed.settlementStore.lifecycle(id)).toEqual(before);
    expect((await get(id, op.albion)).body.result.data).toMatchObject({
      final: true,
      disputeDeadline: expect.any(String),
    });
    const listed = (await fed.call('settlement.list', {}, tokens[op.albion], { method: 'GET' })).body.result
      .data as { statementId: string; final: boolean }[];
    expect(listed.find((x) => x.statementId === id)).toMatchObject({ final: true, status: 'issued' });
    // accepting a final statement is allowed: it changes no amount
    expect((await fed.call('settlement.accept', { statementId: id }, tokens[op.albion])).status).toBe(200);

    // within the window, a dispute is taken; a version-1 statement (no deadline) is open as before
    expect((await get(statements[0]!.statementId, statements[0]!.parties[0])).body.result.data.final).toBe(
      false,
    );
    await issueStatement(fed, `${s}/v1`, op.rhein, op.albion);
    const v1 = await fed.call(
      'settlement.dispute',
      { statementId: `${s}/v1`, lines: [{ lineNo: 1, amount: 900 }] },
      tokens[op.rhein],
    );
    expect(v1.status).toBe(200);
  });

  it('settles an upheld dispute with a signed credit note when the agreement says so', async () => {
    const jpy = statements.find((p) => p.settlementCurrency === 'JPY')!;
    const line = jpy.lines[0]!;
    const disputed = await fed.call(
      'settlement.dispute',
      {
        statementId: jpy.statementId,
        lines: [{ lineNo: line.lineNo, amount: line.settledAmount + 5_000_000 }],
      },
      tokens[op.nippon],
    );
    expect(disputed.status).toBe(200);
    // amounts in whole yen only
    const fractional = await fed.call(
      'settlement.resolve',
      { statementId: jpy.statementId, creditor: op.nippon, debtor: op.rhein, amount: 5_500_000 },
      admin,
    );
    expect(fractional.body.error.data.federaCode).toBe('VALIDATION_FAILED');
    const resolved = await fed.call(
      'settlement.resolve',
      { statementId: jpy.statementId, creditor: op.nippon, debtor: op.rhein, amount: 5_000_000 },
      admin,
    );
    expect(resolved.status).toBe(200);
    const lifecycle = resolved.body.result.data as Lifecycle;
    expect(lifecycle.resolution).toMatchObject({
      targetPeriod: null,
      creditNoteId: `${jpy.statementId}/credit-note`,
      currency: 'JPY',
    });
    // no adjustment line anywhere: the credit note replaces it
    const next = periodOf(Date.now() + fed.settlementConfig.graceMs, fed.settlementConfig.periodMs).id;
    expect(
      (await fed.settlementStore.adjustmentsFor(next)).filter((a) => a.statementId === jpy.statementId),
    ).toEqual([]);
    expect((await get(jpy.statementId, op.rhein)).body.result.data.creditNote).toMatchObject({
      pending: expect.anything(),
    });

    // the settlement worker signs it on its next run (a manual run of a long-closed period here)
    const old = periodOf(Date.now() - 5 * fed.settlementConfig.periodMs, fed.settlementConfig.periodMs).id;
    expect((await fed.call('settlement.run', { periodId: old }, admin)).status).toBe(200);
    const jwks = (await fed.call('settlement.jwks', undefined, admin, { method: 'GET' })).body.result.data;
    const notes = [];
    for (const party of jpy.parties) {
      const note = (await get(jpy.statementId, party)).body.result.data.creditNote;
      expect(note.jws).toEqual(expect.any(String));
      notes.push(note.jws as string);
      const payload = await verifyCreditNote(note.jws, jwks);
      expect(payload).toMatchObject({
        type: 'federa.settlement.credit-note',
        statementId: jpy.statementId,
        creditor: op.nippon,
        debtor: op.rhein,
        amount: 5_000_000,
        currency: 'JPY',
        dispute: { by: op.nippon },
      });
    }
    expect(notes[0]).toBe(notes[1]);
    // a credit note is not a statement, nor a statement a credit note
    await expect(verifyStatement(notes[0]!, jwks)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    const stmtJws = (await get(jpy.statementId, op.rhein)).body.result.data.jws;
    await expect(verifyCreditNote(stmtJws, jwks)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    // write-once: issuing again changes nothing; an outsider does not see it
    await fed.settlementStore.issueCreditNotes(fed.clearingKey.privateJwk);
    expect(await fed.settlementStore.creditNote(`${jpy.statementId}/credit-note`)).toEqual({ jws: notes[0] });
    expect((await get(jpy.statementId, op.pacific)).status).toBe(404);
  });

  it('signs no credit note its statement and resolution do not call for, whoever wrote it to Redis', async () => {
    // what a compromised API (it may write Redis, it holds no clearing key) could leave pending
    const pendingKey = `${fed.settlementStore.prefix}:credit-notes-pending`;
    const jpy = statements.find((p) => p.settlementCurrency === 'JPY')!;
    const signed = await fed.settlementStore.creditNote(creditNoteIdOf(jpy.statementId));
    const undisputed = statements.find((p) => p.parties.includes(op.pacific))!;
    const forge = (p: StatementPayload, amount: number) => ({
      ...creditNoteFor(
        p,
        { creditor: p.parties[0], debtor: p.parties[1], amount },
        'intruder',
        new Date().toISOString(),
      ),
      dispute: { by: p.parties[0], at: new Date().toISOString() },
    });
    await fed.settlementStore.redis.hset(
      pendingKey,
      creditNoteIdOf(undisputed.statementId),
      JSON.stringify(forge(undisputed, 1_000_000_000)),
      creditNoteIdOf(jpy.statementId),
      JSON.stringify(forge(jpy, 999_000_000)),
    );
    const { issued, refused } = await fed.settlementStore.issueCreditNotes(fed.clearingKey.privateJwk);
    expect(issued).toEqual([]);
    expect(Object.fromEntries(refused.map((r) => [r.creditNoteId, r.reason]))).toEqual({
      [creditNoteIdOf(undisputed.statementId)]: 'the statement has no resolution settled by this credit note',
      [creditNoteIdOf(jpy.statementId)]:
        'the pending payload differs from the statement and its recorded resolution',
    });
    // nothing signed: the forged note stays pending, the signed one stays as it was
    expect(await fed.settlementStore.creditNote(creditNoteIdOf(undisputed.statementId))).toMatchObject({
      pending: { amount: 1_000_000_000 },
    });
    expect(await fed.settlementStore.creditNote(creditNoteIdOf(jpy.statementId))).toEqual(signed);
    await fed.settlementStore.redis.hdel(
      pendingKey,
      creditNoteIdOf(undisputed.statementId),
      creditNoteIdOf(jpy.statementId),
    );
  });

  it('settles an upheld dispute as an adjustment next period, in the statement’s currency, by default', async () => {
    const eur = statements.find((p) => p.parties.includes(op.albion) && p.parties.includes(op.rhein))!;
    const disputed = await fed.call(
      'settlement.dispute',
      { statementId: eur.statementId, lines: [{ lineNo: 1, amount: eur.lines[0]!.settledAmount + 10_000 }] },
      tokens[op.albion],
    );
    expect(disputed.status).toBe(200);
    const resolved = await fed.call(
      'settlement.resolve',
      { statementId: eur.statementId, creditor: op.albion, debtor: op.rhein, amount: 10_000 },
      admin,
    );
    expect(resolved.status).toBe(200);
    const target = resolved.body.result.data.resolution.targetPeriod as string;
    expect(target).toEqual(expect.any(String));
    expect(
      (await fed.settlementStore.adjustmentsFor(target)).filter((a) => a.statementId === eur.statementId),
    ).toEqual([
      {
        statementId: eur.statementId,
        originalPeriod: eur.period.id,
        creditor: op.albion,
        debtor: op.rhein,
        amount: 10_000,
        currency: 'EUR',
      },
    ]);
    expect((await get(eur.statementId, op.rhein)).body.result.data.creditNote).toBeNull();
  });
});
