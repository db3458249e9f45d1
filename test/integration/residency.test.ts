/**
 * Residency is a hard filter: an EU-only tenant is served in the EU even though the nearest site
 * (London) is outside it; a request may narrow the policy but never widen it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { testTopology } from '../support/topology';

const EU = new Set([
  'AT',
  'BE',
  'BG',
  'HR',
  'CY',
  'CZ',
  'DK',
  'EE',
  'FI',
  'FR',
  'DE',
  'GR',
  'HU',
  'IE',
  'IT',
  'LV',
  'LT',
  'LU',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SK',
  'SI',
  'ES',
  'SE',
]);

describe('residency', () => {
  const s = uniqueSuffix();
  let fed: Federation;
  let euToken: string;

  beforeAll(async () => {
    fed = await startFederation(testTopology(s));
    euToken = await fed.token('tenant', `${s}-eu`);
  });
  afterAll(async () => fed?.close());

  it('serves an EU-only tenant in the EU although the nearest site is in London', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await fed.call('inference.complete', chat(`eu-${i}`), euToken);
      expect(res.status).toBe(200);
      const data = res.body.result.data;
      expect(EU.has(data.route.jurisdiction)).toBe(true);
      expect(data.route.siteId).not.toBe(`${s}-lon`);
    }
    expect(fed.emulator(`${s}-lon`).stats().requests).toBe(0);
    const usage = await fed.ledger.listUsage(`${s}-eu`, { limit: 50 });
    expect(usage).toHaveLength(5);
    for (const r of usage) expect(EU.has(r.jurisdiction)).toBe(true);
  });

  it('honours a request that narrows residency to one country', async () => {
    const res = await fed.call('inference.complete', chat('narrow-fr', { residency: ['FR'] }), euToken);
    expect(res.status).toBe(200);
    expect(res.body.result.data.route.jurisdiction).toBe('FR');
    expect(res.body.result.data.route.siteId).toBe(`${s}-par`);
  });

  it('refuses a request that widens residency, and changes nothing', async () => {
    const before = await fed.ledger.account(`${s}-eu`);
    const completions = fed.totalCompletions();
    const res = await fed.call('inference.complete', chat('widen-us', { residency: ['FR', 'US'] }), euToken);
    expect(res.status).toBe(403);
    expect(res.body.error.data.federaCode).toBe('RESIDENCY_VIOLATION');
    expect(res.body.error.message).toContain('US');
    expect(await fed.ledger.account(`${s}-eu`)).toEqual(before);
    expect(fed.totalCompletions()).toBe(completions);
    expect(await fed.ledger.hold(`${s}-eu`, 'widen-us')).toBeNull();
  });

  it('refuses an unknown jurisdiction code with a validation error', async () => {
    const res = await fed.call('inference.complete', chat('bad-code', { residency: ['XX'] }), euToken);
    expect(res.status).toBe(400);
    expect(res.body.error.data.federaCode).toBe('UNKNOWN_JURISDICTION');
  });

  it('answers NO_ELIGIBLE_SITE when no site in the allowed set serves the model', async () => {
    const res = await fed.call('inference.complete', chat('no-site', { residency: ['IT'] }), euToken);
    expect(res.status).toBe(503);
    expect(res.body.error.data.federaCode).toBe('NO_ELIGIBLE_SITE');
    expect((await fed.ledger.account(`${s}-eu`)).pending).toBe(0);
  });

  it('lets a tenant without residency duties use the nearest site', async () => {
    const res = await fed.call('inference.complete', chat('any-1'), await fed.token('tenant', `${s}-any`));
    expect(res.status).toBe(200);
    expect(res.body.result.data.route.siteId).toBe(`${s}-ash`);
  });
});
