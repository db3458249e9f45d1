/**
 * Two operator pairs on two schedules against real Redis and Temporal: albion~rhein agreed to
 * settle by calendar day in Asia/Tokyo, pacific~rhein settles on the federation's default (fixed
 * 6-hour periods here). Each run settles only its own schedule's pair; a record the control plane
 * dated in a past period, posted now, is late usage naming that period in its pair's schedule;
 * catch-up after downtime lists both schedules' closed periods oldest first; and every record is
 * in exactly one statement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  duePeriods,
  periodIn,
  previousPeriodIn,
  type Period,
  type Schedule,
  type StatementPayload,
} from '@federa/settlement';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { appendRecord, lineRefs } from '../support/settlement-fixtures';
import { testTopology } from '../support/topology';

const HOUR = 3_600_000;
const FIXED: Schedule = { kind: 'fixed', periodMs: 6 * HOUR };
const TOKYO: Schedule = { kind: 'calendar', unit: 'day', timeZone: 'Asia/Tokyo' };
const GRACE_MS = 1000;

describe('settlement on calendar schedules', () => {
  const s = uniqueSuffix();
  const eu = `${s}-eu`;
  const rhein = `${s}-rhein`;
  const albion = `${s}-albion`;
  const pacific = `${s}-pacific`;
  let fed: Federation;
  let admin: string;
  /** the Tokyo statement of today, from the first test */
  let tokyoStatement = '';

  beforeAll(async () => {
    fed = await startFederation(
      {
        ...testTopology(s),
        agreements: [{ parties: [rhein, albion], period: 'day', timeZone: 'Asia/Tokyo' }],
      },
      { settlement: { periodMs: FIXED.periodMs, graceMs: GRACE_MS } },
    );
    admin = await fed.token('admin', 'clearing@federation');
  });
  afterAll(async () => fed?.close());

  const record = (servingOperator: string, siteId: string, completedAt?: number) =>
    appendRecord(fed, {
      tenantId: eu,
      homeOperator: rhein,
      servingOperator,
      siteId: `${s}-${siteId}`,
      ...(completedAt === undefined
        ? {}
        : {
            extra: {
              completedAt: new Date(completedAt).toISOString(),
              startedAt: new Date(completedAt).toISOString(),
            },
          }),
    });
  const back = (schedule: Schedule, p: Period, n: number) => {
    for (let i = 0; i < n; i++) p = previousPeriodIn(schedule, p);
    return p;
  };

  it('settles each pair in its own schedule, late usage by its own period, catch-up oldest first', async () => {
    const now = Date.now();
    const today = periodIn(TOKYO, now);
    const current = periodIn(FIXED, now);
    // downtime: each schedule last settled three periods ago
    const tokyoLast = back(TOKYO, today, 3);
    const fixedLast = back(FIXED, current, 3);
    await fed.settle(tokyoLast.id);
    await fed.settle(fixedLast.id);

    // records dated now, and records the control plane dated one period back posted only now
    const tokyoNow = await record(albion, 'sto');
    const tokyoLate = await record(albion, 'sto', back(TOKYO, today, 1).startMs + 1000);
    const fixedNow = await record(pacific, 'ash');
    const fixedLate = await record(pacific, 'ash', back(FIXED, current, 1).startMs + 1000);
    const homeUsage = await record(rhein, 'fra');

    // both schedules' closed periods since their cursors, by end (Tokyo days end at 15:00 UTC)
    const due = await duePeriods(fed.settlementStore, fed.settlementConfig, Date.now(), {
      topology: fed.topology,
    });
    const expected = [
      back(TOKYO, today, 2),
      back(TOKYO, today, 1),
      back(FIXED, current, 2),
      back(FIXED, current, 1),
    ]
      .sort((a, b) => a.endMs - b.endMs || a.id.localeCompare(b.id))
      .map((p) => p.id);
    expect(due).toEqual(expected);

    const statements: StatementPayload[] = [];
    for (const id of [...due, today.id, current.id])
      statements.push(...(await fed.settle(id)).statements.map((x) => x.payload));
    expect(
      await duePeriods(fed.settlementStore, fed.settlementConfig, Date.now(), { topology: fed.topology }),
    ).toEqual([]);

    // Tokyo's runs hold albion~rhein only, the fixed runs pacific~rhein only
    for (const p of statements) {
      const tokyo = p.period.id.endsWith('@Asia/Tokyo');
      expect(p.parties).toEqual(tokyo ? [albion, rhein].sort() : [pacific, rhein].sort());
      expect(p.version).toBe(2);
      expect(p.period.unit).toBe(tokyo ? 'day' : 'fixed');
      expect(p.period.timeZone).toBe(tokyo ? 'Asia/Tokyo' : 'UTC');
    }
    const inToday = statements.find((p) => p.period.id === today.id)!;
    tokyoStatement = inToday.statementId;
    expect(inToday.statementId).toBe(`${today.id}/${[albion, rhein].sort().join('~')}`);
    expect(inToday.lines.map((l) => [l.kind, l.originalPeriod, l.records])).toEqual([
      ['usage', null, 1],
      ['late-usage', back(TOKYO, today, 1).id, 1],
    ]);
    const inCurrent = statements.find((p) => p.period.id === current.id)!;
    expect(inCurrent.lines.map((l) => [l.kind, l.originalPeriod, l.records])).toEqual([
      ['usage', null, 1],
      ['late-usage', back(FIXED, current, 1).id, 1],
    ]);

    // every roaming record in exactly one statement line; the home record in none
    const counted: string[] = [];
    for (const p of statements)
      for (const line of p.lines) counted.push(...(await lineRefs(fed, p.statementId, line.lineNo)));
    expect(counted.sort()).toEqual([tokyoNow, tokyoLate, fixedNow, fixedLate].sort());
    expect(counted).not.toContain(homeUsage);
  });

  it('settlement.run takes calendar ids and refuses ids that name no period', async () => {
    const yesterday = back(TOKYO, periodIn(TOKYO, Date.now()), 1);
    const ran = await fed.call('settlement.run', { periodId: yesterday.id }, admin);
    expect(ran.status).toBe(200);
    for (const periodId of ['2027-02-29@Asia/Tokyo', '2026-11@Mars/Olympus', '2026-W60@UTC', 'last-month']) {
      const res = await fed.call('settlement.run', { periodId }, admin);
      expect(res.status, periodId).toBe(400);
      expect(res.body.error.data.federaCode, periodId).toBe('VALIDATION_FAILED');
    }
    const open = await fed.call('settlement.run', { periodId: periodIn(TOKYO, Date.now()).id }, admin);
    expect(open.body.error.data.federaCode).toBe('VALIDATION_FAILED');
    // the tenant's statement reads the same calendar ids
    const tenant = await fed.token('tenant', eu);
    const byDay = await fed.call('settlement.tenantStatement', { periodId: yesterday.id }, tenant, {
      method: 'GET',
    });
    expect(byDay.status).toBe(200);
    expect(byDay.body.result.data.period).toBe(yesterday.id);
  });

  it("resolves a dispute into the pair's own schedule: the Tokyo day open at resolution", async () => {
    const rheinToken = await fed.token('operator', rhein);
    const disputed = await fed.call(
      'settlement.dispute',
      { statementId: tokyoStatement, lines: [{ lineNo: 1, amount: 1 }] },
      rheinToken,
    );
    expect(disputed.status).toBe(200);
    const resolved = await fed.call(
      'settlement.resolve',
      // whole minor units of any currency (a JPY statement has no cents)
      { statementId: tokyoStatement, creditor: rhein, debtor: albion, amount: 1_000_000 },
      admin,
    );
    expect(resolved.status).toBe(200);
    expect(resolved.body.result.data.resolution.targetPeriod).toBe(periodIn(TOKYO, Date.now() + GRACE_MS).id);
  });
});
