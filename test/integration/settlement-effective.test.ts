/**
 * Effective-dated agreements against real Redis and Temporal: albion~rhein settles on the
 * federation's default (fixed 1-hour periods here) until an admin switches it, mid-stream, to a UTC
 * calendar day from 02:30 (after the hours already settled). The fixed hour straddling the switch
 * settles the part before it, the UTC day the rest; pacific~rhein stays on the fixed hours; every
 * roaming record is in exactly one statement. Then a back-dated switch (into an hour already
 * settled) is refused with SCHEDULE_HISTORY_CONFLICT — by the engine, by catch-up and by
 * `settlement.run` (409) — and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FederaError, agreementSchema, type TopologyInput } from '@federa/domain';
import {
  duePeriods,
  fixedSchedule,
  periodIn,
  previousPeriodIn,
  type Schedule,
  type StatementPayload,
} from '@federa/settlement';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { appendRecordPostedAt, lineRefs } from '../support/settlement-fixtures';
import { testTopology } from '../support/topology';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const FIXED = fixedSchedule(HOUR);
const UTC_DAY: Schedule = { kind: 'calendar', unit: 'day', timeZone: 'UTC' };

/** `ms` spelled with a +01:00 offset (effectiveFrom takes any offset) */
const plusOne = (ms: number) => `${new Date(ms + HOUR).toISOString().slice(0, 19)}+01:00`;

describe('settlement when an agreement changes its schedule', () => {
  const s = uniqueSuffix();
  const eu = `${s}-eu`;
  const rhein = `${s}-rhein`;
  const albion = `${s}-albion`;
  const pacific = `${s}-pacific`;
  let fed: Federation;
  let admin: string;
  // yesterday, UTC: closed whenever the test runs (grace is a second)
  const day = previousPeriodIn(UTC_DAY, periodIn(UTC_DAY, Date.now()));
  const y0 = day.startMs;
  const switchAt = y0 + 2 * HOUR + 30 * MINUTE;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s), { settlement: { periodMs: HOUR, graceMs: 1000 } });
    admin = await fed.token('admin', 'clearing@federation');
  });
  afterAll(async () => fed?.close());

  const setAgreements = (agreements: NonNullable<TopologyInput['agreements']>) =>
    fed.registry.update((t) => ({
      topology: { ...t, agreements: agreements.map((a) => agreementSchema.parse(a)) },
      result: null,
    }));

  const settleAll = async (ids: readonly string[]) => {
    const out: StatementPayload[] = [];
    for (const id of ids) out.push(...(await fed.settle(id)).statements.map((x) => x.payload));
    return out;
  };

  it('switching a pair from the fixed default to a UTC day mid-stream puts every record in exactly one statement', async () => {
    // the usage of yesterday, posted as it happened (one tenant, ascending: its stream only grows)
    const uses = [
      { serving: albion, site: 'sto', at: y0 + 30 * MINUTE },
      { serving: albion, site: 'sto', at: y0 + 90 * MINUTE },
      { serving: albion, site: 'sto', at: y0 + 130 * MINUTE }, // the straddling hour, before the switch
      { serving: pacific, site: 'ash', at: y0 + 140 * MINUTE },
      { serving: albion, site: 'sto', at: switchAt }, // from the switch on: the UTC day's
      { serving: albion, site: 'sto', at: y0 + 5 * HOUR },
      { serving: pacific, site: 'ash', at: y0 + 6 * HOUR + MINUTE },
      { serving: albion, site: 'sto', at: y0 + 20 * HOUR },
    ];
    const refs: string[] = [];
    for (const u of uses)
      refs.push(
        await appendRecordPostedAt(
          fed,
          { tenantId: eu, homeOperator: rhein, servingOperator: u.serving, siteId: `${s}-${u.site}` },
          u.at,
        ),
      );

    // the first two hours settle on the default, as before any agreement
    const statements = await settleAll([periodIn(FIXED, y0).id, periodIn(FIXED, y0 + HOUR).id]);
    // the admin switches albion~rhein to a UTC day from 02:30, after the hours settled
    await setAgreements([{ parties: [rhein, albion], period: 'day', effectiveFrom: plusOne(switchAt) }]);

    // catch-up lists the rest of yesterday's hours and the UTC day the pair switched to
    const due = await duePeriods(fed.settlementStore, fed.settlementConfig, Date.now(), {
      topology: await fed.registry.snapshot(),
    });
    expect(due[0]).toBe(periodIn(FIXED, y0 + 2 * HOUR).id);
    expect(due).toContain(day.id);

    const hours = Array.from({ length: 22 }, (_, i) => periodIn(FIXED, y0 + (i + 2) * HOUR).id);
    statements.push(...(await settleAll([...hours, day.id])));

    const byId = new Map(statements.map((p) => [p.statementId, p]));
    const count = (p: StatementPayload | undefined) => p?.lines.reduce((n, l) => n + l.records, 0) ?? 0;
    const albionRhein = [albion, rhein].sort().join('~');
    const pacificRhein = [pacific, rhein].sort().join('~');
    // the straddling hour holds the part before the switch; the day the part from it
    expect(count(byId.get(`${periodIn(FIXED, y0 + 2 * HOUR).id}/${albionRhein}`))).toBe(1);
    expect(count(byId.get(`${day.id}/${albionRhein}`))).toBe(3);
    expect(byId.get(`${day.id}/${albionRhein}`)?.period).toMatchObject({ unit: 'day', timeZone: 'UTC' });
    expect(count(byId.get(`${periodIn(FIXED, y0 + 2 * HOUR).id}/${pacificRhein}`))).toBe(1);
    // no albion~rhein statement in a fixed hour after the switch
    for (const p of statements)
      if (p.parties.join('~') === albionRhein && p.period.unit === 'fixed')
        expect(Date.parse(p.period.start)).toBeLessThan(switchAt);

    // every record in exactly one statement line: counts add up, references derive without duplicates
    expect(statements.reduce((n, p) => n + count(p), 0)).toBe(refs.length);
    const counted: string[] = [];
    for (const p of statements)
      for (const line of p.lines) counted.push(...(await lineRefs(fed, p.statementId, line.lineNo)));
    expect(counted.sort()).toEqual([...refs].sort());
    expect(new Set(counted).size).toBe(counted.length);

    // inclusion proofs follow the switch: a record is proven in its own period's statement only
    const rheinToken = await fed.token('operator', rhein);
    const prove = (statementId: string, recordRef: string) =>
      fed.call('settlement.proveInclusion', { statementId, recordRef }, rheinToken, { method: 'GET' });
    const dayStatement = `${day.id}/${albionRhein}`;
    const straddling = `${periodIn(FIXED, y0 + 2 * HOUR).id}/${albionRhein}`;
    const [beforeSwitch, atSwitch] = [refs[2]!, refs[4]!];
    expect((await prove(dayStatement, atSwitch)).body.result.data).toMatchObject({ verified: true });
    expect((await prove(straddling, beforeSwitch)).body.result.data).toMatchObject({ verified: true });
    expect((await prove(dayStatement, beforeSwitch)).status).toBe(404);
    expect((await prove(straddling, atSwitch)).status).toBe(404);
  });

  it('refuses a back-dated switch with SCHEDULE_HISTORY_CONFLICT and changes nothing', async () => {
    const store = fed.settlementStore;
    const historyKey = `${store.prefix}:schedule-history`;
    const state = async () => ({
      settled: (await store.settledPeriods()).sort(),
      fixedCursor: await store.cursor('fixed/3600000'),
      dayCursor: await store.cursor('day@UTC'),
      statements: await store.forOperator(null, 10_000),
      history: await store.redis.hgetall(historyKey),
    });
    const before = await state();
    expect(JSON.parse(before.history[`${[albion, rhein].sort().join('~')}`] ?? 'null')).toEqual([
      { from: null, schedule: 'default' },
      { from: switchAt, schedule: 'day@UTC' },
    ]);

    // the switch moved back to 01:30: the hour 01:00–02:00 is settled on the default already
    await setAgreements([
      { parties: [rhein, albion], period: 'day', effectiveFrom: new Date(y0 + 90 * MINUTE).toISOString() },
    ]);
    const nextHour = previousPeriodIn(FIXED, periodIn(FIXED, Date.now() - 2000));
    const refused = await fed.settle(nextHour.id).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(FederaError);
    expect((refused as FederaError).code).toBe('SCHEDULE_HISTORY_CONFLICT');
    expect((refused as FederaError).message).toMatch(/settled up to/);
    const dueRefused = await duePeriods(store, fed.settlementConfig, Date.now(), {
      topology: await fed.registry.snapshot(),
    }).catch((err: unknown) => err);
    expect((dueRefused as FederaError).code).toBe('SCHEDULE_HISTORY_CONFLICT');
    // by hand through the API: 409 with the domain code, not a 500
    const run = await fed.call('settlement.run', { periodId: nextHour.id }, admin);
    expect(run.status).toBe(409);
    expect(run.body.error.data.federaCode).toBe('SCHEDULE_HISTORY_CONFLICT');
    // removing the agreement rewrites the settled past too
    await setAgreements([]);
    expect(((await fed.settle(nextHour.id).catch((e: unknown) => e)) as FederaError).code).toBe(
      'SCHEDULE_HISTORY_CONFLICT',
    );
    expect(await state()).toEqual(before);

    // put back as accepted, settlement goes on
    await setAgreements([{ parties: [rhein, albion], period: 'day', effectiveFrom: plusOne(switchAt) }]);
    await fed.settle(nextHour.id);
    expect(await store.isSettled(nextHour.id)).toBe(true);
  });
});
