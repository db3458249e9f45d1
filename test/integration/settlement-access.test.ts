/**
 * Settlement inputs and access on the real API: a malformed period is a clear 400 wherever a period
 * is accepted; anyone may check a statement's signature, but only its parties and admins may have
 * the federation recompute it from the usage records, and each caller only a few times in a row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RECOMPUTE_LIMIT } from '@federa/settlement';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { issueStatement } from '../support/settlement-fixtures';
import { testTopology } from '../support/topology';

describe('settlement inputs and access', () => {
  const s = uniqueSuffix();
  const rhein = `${s}-rhein`;
  const albion = `${s}-albion`;
  let fed: Federation;
  let jws: string;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s));
    const id = `${s}/access-1`;
    await issueStatement(fed, id, rhein, albion);
    jws = (await fed.settlementStore.get(id))!;
  });
  afterAll(async () => fed?.close());

  const code = (res: { body: any }) => res.body.error?.data?.federaCode as string | undefined;

  it('refuses a malformed periodId with 400 VALIDATION_FAILED wherever a period is accepted', async () => {
    const admin = await fed.token('admin', 'periods@federation');
    const tenant = await fed.token('tenant', `${s}-eu`);
    const malformed = [
      'not-a-date',
      '2026-13-01T00:00:00Z',
      '2026-02-30T00:00:00Z',
      '2026-01-01T00:30:00Z', // not the start of a (1 h) period
      '2026-01-01T00:00:00.001Z',
      '',
    ];
    for (const periodId of malformed) {
      const run = await fed.call('settlement.run', { periodId }, admin);
      expect([periodId, run.status, code(run)]).toEqual([periodId, 400, 'VALIDATION_FAILED']);
      const mine = await fed.call('settlement.tenantStatement', { periodId }, tenant, { method: 'GET' });
      expect([periodId, mine.status, code(mine)]).toEqual([periodId, 400, 'VALIDATION_FAILED']);
      expect(JSON.stringify(run.body) + JSON.stringify(mine.body)).not.toMatch(/\bat .*\.ts:\d+/);
    }
    const ok = await fed.call('settlement.tenantStatement', { periodId: '2026-01-01T00:00:00Z' }, tenant, {
      method: 'GET',
    });
    expect(ok.status).toBe(200);
  });

  it('lets anyone check the signature but only the parties and admins recompute', async () => {
    const tenant = await fed.token('tenant', `${s}-eu`);
    const outsider = await fed.token('operator', `${s}-pacific`);
    const signatureOnly = await fed.call('settlement.verify', { jws, recompute: false }, tenant);
    expect(signatureOnly.status).toBe(200);
    expect(signatureOnly.body.result.data).toMatchObject({ signatureValid: true, totalsMatch: null });
    for (const token of [tenant, outsider]) {
      const refused = await fed.call('settlement.verify', { jws }, token);
      expect([refused.status, code(refused)]).toEqual([403, 'FORBIDDEN']);
    }
    for (const token of [
      await fed.token('operator', rhein),
      await fed.token('admin', 'auditor@federation'),
    ]) {
      const recomputed = await fed.call('settlement.verify', { jws, recompute: true }, token);
      expect(recomputed.status).toBe(200);
      expect(recomputed.body.result.data).toMatchObject({ signatureValid: true });
      expect(typeof recomputed.body.result.data.totalsMatch).toBe('boolean');
    }
  });

  it('rate-limits recomputes per caller with RATE_LIMITED and a retry time', async () => {
    const albionToken = await fed.token('operator', albion);
    for (let i = 0; i < DEFAULT_RECOMPUTE_LIMIT.burst; i++)
      expect((await fed.call('settlement.verify', { jws }, albionToken)).status).toBe(200);
    const limited = await fed.call('settlement.verify', { jws }, albionToken);
    expect([limited.status, code(limited)]).toEqual([429, 'RATE_LIMITED']);
    expect(limited.body.error.data.retryAfter).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBe(limited.body.error.data.retryAfter);
    // a signature check is not a recompute, and other callers keep their own budget
    expect((await fed.call('settlement.verify', { jws, recompute: false }, albionToken)).status).toBe(200);
    const other = await fed.token('admin', 'another-auditor@federation');
    expect((await fed.call('settlement.verify', { jws }, other)).status).toBe(200);
  });
});
