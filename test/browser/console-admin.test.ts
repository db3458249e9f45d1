/**
 * The admin's console in a real browser against a real federation: a routing weight is changed and
 * the live preview shows a tenant's top site move BEFORE anything is saved; saved, the new version
 * is in the history with its diff, and the next request (official `openai` client) is served by the
 * predicted site under the new version. Budgets are topped up, an FX rate and a rate card added,
 * and the audit log shows the policy change with its before/after — each page with data checked
 * for overflow at both viewports and for unlabelled controls.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';
import { checkLayout, launchBrowser, openRoute, signedInPage, unlabelledControls } from '../support/browser';

const s = uniqueSuffix();
const ADMIN = `admin-${s}@federation`;
const POLL = { timeout: 15_000, interval: 100 };
let fed: Federation;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  // London EU tenant: Paris is nearest (latency-led policy); Albion's Stockholm is cheapest
  fed = await startFederation(testTopology(s), { consoleDir: inject('consoleDir') });
  browser = await launchBrowser();
  page = await signedInPage(browser, fed.api.url, await fed.token('admin', ADMIN));
});

afterAll(async () => {
  await browser?.close();
  await fed?.close();
});

const text = async (p: Promise<string | null>) => (await p) ?? '';
const topSite = (tenant: string, which: 'current' | 'candidate') =>
  text(
    page
      .getByTestId(`preview-${s}-${tenant}`)
      .getByTestId(`preview-${which}`)
      .getByTestId('top-site')
      .textContent(),
  );

describe('the admin console', () => {
  let predicted = '';

  it('previews a weight change per tenant before saving, then saves a new version with its diff', async () => {
    await openRoute(page, '/admin/policy', 'Routing policy');
    await expect.poll(() => topSite('eu', 'candidate'), POLL).toContain(`${s}-par`);
    expect(await topSite('eu', 'current')).toContain(`${s}-par`);
    expect(await page.getByLabel('Model').inputValue()).toBe(TEST_MODEL);

    // price only: the preview moves the EU tenant to the cheapest site while nothing is saved
    await page.getByLabel('Latency weight').fill('0');
    await page.getByLabel('Load weight').fill('0');
    await page.getByLabel('Price weight').fill('1');
    await expect.poll(() => topSite('eu', 'candidate'), POLL).toContain(`${s}-sto`);
    expect(await topSite('eu', 'current')).toContain(`${s}-par`);
    predicted = (await topSite('eu', 'candidate')).split(' ')[0]!;
    const admin = await fed.token('admin', ADMIN);
    const inForce = await fed.call('policy.get', undefined, admin, { method: 'GET' });
    expect(inForce.body.result.data.version).toBe(1);
    expect(await page.getByTestId(`preview-${s}-eu`).textContent()).toContain('changes');

    // the form refuses what the API would, next to the field
    await page.getByLabel('Failover attempts').fill('0');
    expect(await page.getByText('a whole number from 1 to 10').isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Save as a new version' }).isDisabled()).toBe(true);
    await page.getByLabel('Failover attempts').fill('3');

    expect(await unlabelledControls(page)).toEqual([]);
    expect(await checkLayout(page, 'admin-policy')).toEqual([]);

    await page.getByRole('button', { name: 'Save as a new version' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved as version 2' }).waitFor();
    await page.getByTestId('policy-version-2').waitFor();
    const diff = page.getByTestId('policy-diff');
    await expect.poll(() => text(diff.textContent()), POLL).toContain('weights.price');
    const priceRow = diff.getByRole('row', { name: /weights\.price/ });
    expect(await priceRow.textContent()).toMatch(/changed\s*0\.2\s*1/);
    expect(await diff.getByRole('row', { name: /weights\.latency/ }).textContent()).toMatch(/0\.6\s*0$/);
    expect(await diff.textContent()).toContain('version');
  });

  it('the next request takes the predicted site and records the new policy version', async () => {
    const token = await fed.token('tenant', `${s}-eu`);
    const client = new OpenAI({ apiKey: token, baseURL: `${fed.api.url}/v1`, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: TEST_MODEL,
      messages: [{ role: 'user', content: 'Which site am I on?' }],
      max_tokens: 16,
    });
    expect(completion.choices[0]?.message.content).toBeTruthy();
    const usage = async () =>
      (await fed.call('usage.list', { limit: 5 }, token, { method: 'GET' })).body.result.data.records as {
        siteId: string;
        policyVersion: number;
      }[];
    await expect.poll(async () => (await usage()).length, POLL).toBe(1);
    expect((await usage())[0]).toMatchObject({ siteId: predicted, policyVersion: 2 });
  });

  it('tops up a budget and shows it in the account', async () => {
    await openRoute(page, '/admin/tenants', 'Tenants & budgets');
    await page.getByRole('button', { name: `Manage ${s}-eu` }).click();
    const budget = page.getByTestId('account-budget');
    await expect.poll(() => text(budget.textContent()), POLL).toBe('€10.00');

    await page.getByLabel('Amount (EUR)').fill('five');
    await page.getByRole('button', { name: 'Top up', exact: true }).click();
    expect(await page.getByText('a positive amount such as 50 or 12.50').isVisible()).toBe(true);
    await page.getByLabel('Amount (EUR)').fill('5.25');
    await page.getByRole('button', { name: 'Top up', exact: true }).click();
    await expect.poll(() => text(budget.textContent()), POLL).toBe('€15.25');
    await page.getByRole('status').filter({ hasText: 'Topped up' }).waitFor();

    expect(await unlabelledControls(page)).toEqual([]);
    expect(await checkLayout(page, 'admin-tenants')).toEqual([]);
  });

  it('adds an FX rate and a rate card, and shows an API refusal with its code', async () => {
    await openRoute(page, '/admin/rates', 'Rate cards & FX');
    await page.locator('#fx-from').fill('EUR');
    await page.locator('#fx-to').fill('SEK');
    await page.locator('#fx-rate').fill('11.25');
    await page.locator('#fx-effectiveFrom').fill('2026-12-01 00:00');
    await page.getByRole('button', { name: 'Add exchange rate' }).click();
    const fxRow = page.getByTestId('fx-row').filter({ hasText: 'EUR → SEK' });
    await fxRow.waitFor();
    expect(await fxRow.textContent()).toContain('1 EUR = 11.25 SEK');
    expect(await fxRow.textContent()).toContain('2026-12-01 00:00:00Z');

    const cards = page
      .getByTestId('rate-card-row')
      .filter({ hasText: `${s}-rhein` })
      .filter({ hasText: TEST_MODEL });
    await expect.poll(() => cards.count(), POLL).toBe(1);
    await page.locator('#card-operator').fill(`${s}-nobody`);
    await page.locator('#card-model').fill(TEST_MODEL);
    for (const [field, value] of [
      ['retailIn', '0.25'],
      ['retailOut', '0.75'],
      ['wholesaleIn', '0.15'],
      ['wholesaleOut', '0.45'],
    ])
      await page.locator(`#card-${field}`).fill(value!);
    await page.getByRole('button', { name: 'Add rate card' }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'Rate card refused' });
    await refused.waitFor();
    expect(await refused.textContent()).toContain('NOT_FOUND');

    await page.locator('#card-operator').fill(`${s}-rhein`);
    await page.getByRole('button', { name: 'Add rate card' }).click();
    await expect.poll(() => cards.count(), POLL).toBe(2);
    expect(await cards.last().textContent()).toContain('0.25 / 0.75');

    expect(await unlabelledControls(page)).toEqual([]);
    expect(await checkLayout(page, 'admin-rates')).toEqual([]);
  });

  it('the audit log shows the policy change with its before/after diff', async () => {
    await openRoute(page, '/admin/audit', 'Audit log');
    // the audit stream is the federation's (shared by suites running alongside): page back if needed
    const entry = page
      .getByTestId('audit-entry')
      .filter({ hasText: ADMIN })
      .filter({ hasText: 'policy.set' });
    await page.getByTestId('audit-entry').first().waitFor();
    const entries = page.getByTestId('audit-entry');
    for (let pages = 0; (await entry.count()) === 0 && pages < 40; pages++) {
      const shown = await entries.count();
      await page.getByRole('button', { name: 'Load older entries' }).click();
      await expect.poll(() => entries.count(), POLL).toBeGreaterThan(shown);
    }
    await entry.waitFor();
    expect(await entry.textContent()).toContain('routing-policy');
    await entry.getByText(/changes?$/).click();
    const diff = entry.getByRole('region', { name: /Before and after of policy\.set/ });
    await diff.waitFor();
    expect(await diff.getByRole('row', { name: /weights\.price/ }).textContent()).toMatch(/0\.2\s*1/);
    expect(await diff.getByRole('row', { name: /^version/ }).textContent()).toMatch(/1\s*2/);

    const topUp = page
      .getByTestId('audit-entry')
      .filter({ hasText: ADMIN })
      .filter({ hasText: 'budgets.topUp' });
    expect(await topUp.count()).toBe(1);
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await checkLayout(page, 'admin-audit')).toEqual([]);
  });
});
