/**
 * The tenant's console in a real browser against a real federation: a tenant (signed in with a JWT)
 * creates an API key with limits and copies its secret, shown once; a program uses that secret with
 * the official openai client; the request shows up in Usage (row, route, charts) and on Spend;
 * revoking the key in the console makes the client fail with 401; the routing dry run shows the
 * ranked candidates and the excluded sites with their reasons.
 */
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { formatMoney } from '../../apps/console/src/ui/money';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';
import { checkLayout, launchBrowser, openRoute, signedInPage, unlabelledControls } from '../support/browser';

const s = uniqueSuffix();
const tenant = `${s}-eu`;
const requestId = `${s}-console-1`;
let fed: Federation;
let browser: Browser;
let page: Page;
let policyVersion: number;
/** what the console showed once and the clipboard got */
let secret: string;
/** the served request's charge, micro-units */
let charge: number;

const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${fed.api.url}/v1`, maxRetries: 0 });
const ask = (apiKey: string, id: string) =>
  client(apiKey).chat.completions.create(
    { model: TEST_MODEL, messages: [{ role: 'user', content: 'Where am I served?' }], max_tokens: 16 },
    { headers: { 'Idempotency-Key': id } },
  );

beforeAll(async () => {
  fed = await startFederation(testTopology(s), { consoleDir: inject('consoleDir') });
  // Pinned ranking: price only, so latency estimates and load cannot reorder the sites. For the EU
  // tenant Albion's Stockholm site is the cheapest; Rhein's two tie and fall back to id order.
  const pinned = await fed.call(
    'policy.set',
    { weights: { latency: 0, load: 0, price: 1 }, preferHome: { mode: 'off', marginMs: 0 } },
    await fed.token('admin', 'console-tenant-suite'),
  );
  expect(pinned.status).toBe(200);
  policyVersion = pinned.body.result.data.version as number;
  browser = await launchBrowser();
  page = await signedInPage(browser, fed.api.url, await fed.token('tenant', tenant));
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: fed.api.url });
});

afterAll(async () => {
  await browser?.close();
  await fed?.close();
});

describe('the tenant console', () => {
  it('creates an API key with limits: the form checks its fields, the API’s refusal shows its code, the secret is shown once', async () => {
    await openRoute(page, '/tenant/keys', 'API keys');
    await page.getByText('No API keys yet.').waitFor();
    const form = page.getByRole('form', { name: 'Create an API key' });

    // the form's own checks, before anything is sent
    await form.getByLabel('Budget per period in EUR (optional)').fill('five euros');
    await form.getByRole('button', { name: 'Create key' }).click();
    await form.getByText('give the key a name').waitFor();
    await form.getByText('an amount like 12.50').waitFor();

    // the API refuses what only it can know: a residency wider than the tenant's
    await form.getByLabel('Name').fill('console-e2e');
    await form.getByLabel('Budget per period in EUR (optional)').fill('5');
    await form.getByLabel('Residency (optional)').fill('US');
    await form.getByRole('button', { name: 'Create key' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toContain('RESIDENCY_VIOLATION');

    await form.getByLabel('Residency (optional)').fill('EU');
    await form.getByLabel(TEST_MODEL).check();
    await form.getByLabel('Tokens per minute (optional)').fill('100000');
    await form.getByLabel('Expires (optional, your local time)').fill('2099-01-01T00:00');
    await form.getByRole('button', { name: 'Create key' }).click();

    const shown = page.getByTestId('new-key-secret');
    await shown.waitFor();
    expect(await page.getByText('it is shown only once').count()).toBe(1);
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByText('Copied to the clipboard.').waitFor();
    secret = await page.evaluate(() => (globalThis as any).navigator.clipboard.readText() as Promise<string>);
    expect(secret).toMatch(/^fed_/);
    expect(await shown.textContent()).toBe(secret);

    // listed with its limits, never with its secret
    const row = page.getByRole('row').filter({ hasText: 'console-e2e' });
    await row.getByText('active').waitFor();
    const limits = await row.textContent();
    expect(limits).toContain('residency: 27 countries'); // EU, stored as its countries
    expect(limits).toContain(`models ${TEST_MODEL}`);
    expect(limits).toContain(`budget ${formatMoney(5_000_000, 'EUR')}`);
    expect(limits).toContain('100000 tokens/min');
    expect(limits).toContain('expires 2099-01-01');
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await checkLayout(page, 'tenant-keys')).toEqual([]);

    // hidden once stored, and gone for good: not after a reload either
    await page.getByRole('button', { name: 'I have stored it — hide it' }).click();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    await page.getByRole('row').filter({ hasText: 'console-e2e' }).waitFor();
    expect(await page.content()).not.toContain(secret);
  });

  it('shows a request made with that key in Usage — its row, its route and the charts — and on Spend', async () => {
    const completion = await ask(secret, requestId);
    const trailer = (completion as unknown as { federa: { site: string; charge: number } }).federa;
    expect(trailer.site).toBe(`${s}-sto`);
    charge = trailer.charge;

    // the record keeps the ranked candidates it was routed with (usage.list returns them)
    const listed = await fed.call('usage.list', { limit: 5 }, await fed.token('tenant', tenant), {
      method: 'GET',
    });
    expect(listed.body.result.data.records[0]).toMatchObject({
      requestId,
      candidates: [`${s}-sto`, `${s}-fra`, `${s}-par`],
      failedAttempts: 0,
      policyVersion,
    });

    await openRoute(page, '/tenant/usage', 'Usage');
    const row = page.getByTestId(`usage-row-${requestId}`);
    await row.waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells).toContain(`${s}-sto`);
    expect(cells).toContain(`${s}-albion`);
    expect(cells).toContain('SE');
    expect(cells).toContain(`v${policyVersion}`);
    expect(cells).toContain(formatMoney(charge, 'EUR'));
    expect(await page.getByTestId('usage-window').textContent()).toContain('Showing all 1');

    // the charts have data: a bar per group, and the totals table under them
    const bars = page.getByTestId('usage-chart').locator('.recharts-bar-rectangle');
    await expect.poll(() => bars.count()).toBeGreaterThan(0);
    expect(await page.getByTestId('usage-totals').getByRole('rowheader').allTextContents()).toEqual([
      TEST_MODEL,
    ]);
    await page.getByLabel('Split by').selectOption('jurisdiction');
    await expect
      .poll(() => page.getByTestId('usage-totals').getByRole('rowheader').allTextContents())
      .toEqual(['SE']);
    await page.getByLabel('Split by').selectOption('siteId');
    await page.getByLabel('Show').selectOption('charge');
    await expect
      .poll(() => page.getByTestId('usage-totals').getByRole('row').last().textContent())
      .toContain(formatMoney(charge, 'EUR'));
    expect(await page.getByTestId('served-where').getByRole('rowheader').allTextContents()).toEqual([
      `${s}-sto`,
    ]);

    // why there: the route the record kept, next to how the model would be routed now
    await row.getByRole('button', { name: `Why request ${requestId} was served at ${s}-sto` }).click();
    const why = page.getByTestId('why-panel');
    await why.waitFor();
    expect(await why.getByTestId('why-candidates').getByRole('listitem').allTextContents()).toEqual([
      `${s}-sto — served here`,
      `${s}-fra`,
      `${s}-par`,
    ]);
    await why
      .getByRole('heading', { name: `How ${TEST_MODEL} would be routed now (policy v${policyVersion})` })
      .waitFor();
    expect(await why.getByTestId('why-now').getByRole('listitem').count()).toBe(3);
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await checkLayout(page, 'tenant-usage')).toEqual([]);

    await openRoute(page, '/tenant', 'Spend');
    await expect.poll(() => page.getByTestId('spent').textContent()).toBe(formatMoney(charge, 'EUR'));
    expect(await page.getByTestId('held').textContent()).toBe(formatMoney(0, 'EUR'));
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await checkLayout(page, 'tenant-spend')).toEqual([]);
  });

  it('shows on Spend the hold of a request still in flight, and its release once served', async () => {
    // the best site answers slowly, so the request holds budget long enough to be seen
    fed.emulator(`${s}-sto`).configure({ ttftMs: 8_000 });
    try {
      const session = await fed.token('tenant', tenant);
      const slow = ask(session, `${s}-console-slow`);
      // the console shows what the ledger holds: wait for the hold itself, then look
      await expect
        .poll(async () => (await fed.ledger.pendingHolds(tenant)).map((h) => h.requestId), {
          timeout: 15_000,
        })
        .toContain(`${s}-console-slow`);
      await openRoute(page, '/tenant', 'Spend');
      const holds = page.getByRole('region', { name: 'Holds in flight' });
      await expect
        .poll(() => holds.getByRole('row').allTextContents(), { timeout: 15_000 })
        .toContainEqual(expect.stringContaining(`${s}-console-slow`));
      expect(await page.getByTestId('held').textContent()).not.toBe(formatMoney(0, 'EUR'));
      expect(await checkLayout(page, 'tenant-spend-hold')).toEqual([]);
      await slow;
      await expect
        .poll(() => page.getByTestId('held').textContent(), { timeout: 15_000 })
        .toBe(formatMoney(0, 'EUR'));
      await page.getByText('No request is holding budget right now.').waitFor();
    } finally {
      fed.emulator(`${s}-sto`).configure({ ttftMs: 2 });
    }
  });

  it('revokes the key after a confirmation, and the openai client is then refused with 401', async () => {
    await openRoute(page, '/tenant/keys', 'API keys');
    const row = page.getByRole('row').filter({ hasText: 'console-e2e' });
    // the key's spend this period is the request it made
    await expect.poll(() => row.textContent()).toContain(formatMoney(charge, 'EUR'));
    await row.getByRole('button', { name: 'Revoke console-e2e' }).click();
    // nothing happens until confirmed
    await row.getByRole('button', { name: 'Cancel' }).click();
    await row.getByRole('button', { name: 'Revoke console-e2e' }).click();
    await row.getByRole('button', { name: 'Revoke “console-e2e” now' }).click();
    await row.getByText(/^revoked /).waitFor();
    expect(await row.getByRole('button').count()).toBe(0);

    const refused = await ask(secret, `${s}-console-2`).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(APIError);
    expect((refused as APIError).status).toBe(401);
  });

  it('dry-runs routing: ranked candidates, excluded sites with reasons, the policy version', async () => {
    await openRoute(page, '/tenant/explain', 'Routing dry run');
    const form = page.getByRole('form', { name: 'Routing dry run' });
    await form.getByLabel('Residency (optional)').fill('F;');
    await form.getByRole('button', { name: 'Explain' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('country codes');

    await form.getByLabel('Model').selectOption(TEST_MODEL);
    await form.getByLabel('Residency (optional)').fill('');
    await form.getByRole('button', { name: 'Explain' }).click();
    const candidates = page.getByTestId('explain-candidates');
    await candidates.waitFor();
    expect(await page.getByTestId('explain-summary').textContent()).toContain(`v${policyVersion}`);
    expect(await candidates.getByRole('rowheader').allTextContents()).toEqual([
      `${s}-sto`,
      `${s}-fra`,
      `${s}-par`,
    ]);
    const excluded = page.getByTestId('explain-excluded').getByRole('row');
    const reasonOf = async (site: string) =>
      excluded.filter({ hasText: site }).getByRole('cell').last().textContent();
    expect(await reasonOf(`${s}-lon`)).toContain('OUTSIDE_RESIDENCY');
    expect(await reasonOf(`${s}-ash`)).toContain('OUTSIDE_RESIDENCY');
    expect(await reasonOf(`${s}-tyo`)).toContain('outside your residency');
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await checkLayout(page, 'tenant-explain')).toEqual([]);

    // narrowed to France: only Paris is left
    await form.getByLabel('Residency (optional)').fill('FR');
    await form.getByRole('button', { name: 'Explain' }).click();
    await expect.poll(() => candidates.getByRole('rowheader').allTextContents()).toEqual([`${s}-par`]);
    expect(await page.getByTestId('explain-summary').textContent()).toContain('Allowed jurisdictions: FR');
  });
});
