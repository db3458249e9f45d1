/**
 * The operator's console in a real browser against a real federation: Rhein drains one of its
 * sites and watches it stop receiving traffic (requests sent as a tenant through /v1 with the
 * official OpenAI client), undrains it; opens a real statement settled from real roaming traffic,
 * verifies its signature in the browser against the published JWKS, checks a record's inclusion
 * with WebCrypto, downloads the CSV and disputes a line; sees what it served for other operators.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import OpenAI from 'openai';
import type { Browser, Page } from 'playwright-core';
import { generateClearingKey, periodOf } from '@federa/settlement';
import { issueStatement, lineRefs } from '../support/settlement-fixtures';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { TEST_MODEL, testTopology } from '../support/topology';
import { checkLayout, launchBrowser, openRoute, signedInPage, unlabelledControls } from '../support/browser';

const PERIOD_MS = 2_000;
const GRACE_MS = 200;
const s = uniqueSuffix();
const [rhein, pacific] = [`${s}-rhein`, `${s}-pacific`];
const [par, fra] = [`${s}-par`, `${s}-fra`];
let fed: Federation;
let browser: Browser;
let operator: Page;
let statementId: string;

const ask = (tenant: string) =>
  fed.token('tenant', tenant).then((token) =>
    // no retries: each call is exactly one request through the federation
    new OpenAI({ apiKey: token, baseURL: `${fed.api.url}/v1`, maxRetries: 0 }).chat.completions.create({
      model: TEST_MODEL,
      messages: [{ role: 'user', content: 'hello from the operator console test' }],
      max_tokens: 8,
    }),
  );

beforeAll(async () => {
  // Rhein's wholesale price large enough that two short chats settle to whole cents
  const topology = testTopology(s);
  const wholesale = { inputPer1M: 9_000_000_000, outputPer1M: 27_000_000_000 };
  topology.operators = topology.operators.map((o) =>
    o.id === rhein
      ? { ...o, rateCard: { ...o.rateCard, [TEST_MODEL]: { ...o.rateCard[TEST_MODEL]!, wholesale } } }
      : o,
  );
  fed = await startFederation(topology, {
    consoleDir: inject('consoleDir'),
    settlement: { periodMs: PERIOD_MS, graceMs: GRACE_MS },
  });
  // pinned routes: Pacific's tenant may only use Rhein's sites (roaming traffic Rhein serves for
  // Pacific), and the EU tenant only Rhein's Paris and Frankfurt (so a drained Frankfurt means Paris)
  await fed.registry.update((t) => ({
    topology: {
      ...t,
      routing: {
        ...t.routing,
        version: t.routing.version + 1,
        tenantOverrides: {
          [`${s}-any`]: { excludedSites: [`${s}-lon`, `${s}-sto`, `${s}-ash`, `${s}-tyo`] },
          [`${s}-eu`]: { excludedSites: [`${s}-sto`] },
        },
      },
    },
    result: null,
  }));
  await ask(`${s}-any`);
  await ask(`${s}-any`);
  // settle the period those two records belong to, once it has closed
  const records = await fed.ledger.listUsage(`${s}-any`, { limit: 10 });
  const last = Math.max(...records.map((r) => Date.parse(r.completedAt)));
  const first = Math.min(...records.map((r) => Date.parse(r.completedAt)));
  // at a period boundary the two records fall in two periods (two statements); both are settled
  const periods = [...new Set([first, last].map((at) => periodOf(at, PERIOD_MS).id))];
  await sleep(Math.max(0, periodOf(last, PERIOD_MS).endMs + GRACE_MS + 50 - Date.now()));
  const ids: string[] = [];
  for (const p of periods) ids.push(...(await fed.settle(p)).statements.map((st) => st.statementId));
  statementId = ids.find((id) => id.endsWith(`/${pacific}~${rhein}`))!;
  expect(statementId).toBeDefined();

  browser = await launchBrowser();
  operator = await signedInPage(browser, fed.api.url, await fed.token('operator', rhein));
});

afterAll(async () => {
  await browser?.close();
  await fed?.close();
});

/** the "requests measured" figure of a site's row, as the page shows it */
const measured = async (page: Page, siteId: string) =>
  Number(await page.getByTestId(`site-${siteId}`).getByTestId('measured').textContent());
const statusOf = (page: Page, siteId: string) =>
  page.getByTestId(`site-${siteId}`).getByTestId('status').textContent();

describe('operator: sites', () => {
  it('drains a site, sees it stop receiving traffic while another site serves, then undrains it', async () => {
    await openRoute(operator, '/operator/sites', 'Sites');
    const rows = operator.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(2); // Rhein's own sites only
    // both served Pacific's tenant earlier: a latency sample per request, shown per client region
    await expect.poll(async () => (await measured(operator, par)) + (await measured(operator, fra))).toBe(2);
    expect(await operator.getByTestId(`site-${par}`).textContent()).toMatch(/closed/);
    expect(await checkLayout(operator, 'operator-sites')).toEqual([]);
    expect(await unlabelledControls(operator)).toEqual([]);

    const before = { par: await measured(operator, par), fra: await measured(operator, fra) };
    await operator.getByRole('button', { name: `Drain ${fra}` }).click();
    await operator.getByRole('button', { name: 'Yes, drain' }).click();
    await expect.poll(() => statusOf(operator, fra)).toBe('draining');

    for (let i = 0; i < 3; i++) await ask(`${s}-eu`);
    // the page refreshes on its own: Paris counts the three requests, drained Frankfurt none
    await expect.poll(() => measured(operator, par), { timeout: 15_000 }).toBe(before.par + 3);
    expect(await measured(operator, fra)).toBe(before.fra);

    await operator.getByRole('button', { name: `Undrain ${fra}` }).click();
    await operator.getByRole('button', { name: 'Yes, undrain' }).click();
    await expect.poll(() => statusOf(operator, fra)).toBe('active');
  });

  it('shows an admin every operator’s sites with an operator column and filter', async () => {
    const admin = await signedInPage(browser, fed.api.url, await fed.token('admin', 'root@federation'));
    await openRoute(admin, '/operator/sites', 'Sites');
    await expect.poll(() => admin.locator('tbody tr').count()).toBe(6);
    await admin.getByLabel('Operator').selectOption(pacific);
    await expect.poll(() => admin.locator('tbody tr').count()).toBe(2);
    expect(await admin.locator('thead').textContent()).toContain('Operator');
    expect(await checkLayout(admin, 'admin-sites')).toEqual([]);
    await admin.context().close();
  });
});

describe('operator: statements', () => {
  it('lists the statement and opens it', async () => {
    await openRoute(operator, '/operator/statements', 'Statements');
    const link = operator.getByRole('link', { name: `Statement ${statementId}` });
    await link.waitFor();
    expect(await operator.locator('tbody').textContent()).toContain(`${pacific} pays ${rhein}`);
    expect(await checkLayout(operator, 'operator-statements')).toEqual([]);
    await link.click();
    await operator.getByRole('heading', { level: 1, name: 'Statement' }).waitFor();
    await operator.getByTestId('line-1').waitFor();
    expect(await operator.getByTestId('line-1').textContent()).toContain('owed to you');
    // version 2: the settlement currency and the dispute deadline (30 days after the close); not final
    expect(await operator.getByTestId('statement-currency').textContent()).toContain('EUR');
    expect(await operator.getByTestId('dispute-deadline').textContent()).not.toContain('no deadline');
    expect(await operator.getByTestId('statement-final').count()).toBe(0);
  });

  it('verifies the signature in the browser against the published JWKS', async () => {
    await operator.getByRole('button', { name: 'Verify signature' }).click();
    const result = operator.getByTestId('signature-result');
    await expect.poll(() => result.textContent()).toContain('Signature valid');
    const text = (await result.textContent())!;
    expect(text).toContain(fed.clearingKey.publicJwk.kid!);
    expect(text).toContain('EdDSA');
    expect(text).toContain('are exactly the signed ones');
  });

  it('refuses the signature when the published key set holds another key', async () => {
    const impostor = await generateClearingKey(fed.clearingKey.publicJwk.kid!);
    await operator.route('**/.well-known/federa-clearing-jwks.json', (route) =>
      route.fulfill({ json: { keys: [impostor.publicJwk] } }),
    );
    await operator.getByRole('button', { name: 'Verify signature' }).click();
    await expect
      .poll(() => operator.getByTestId('signature-result').textContent())
      .toContain('Signature does not verify');
    await operator.unroute('**/.well-known/federa-clearing-jwks.json');
  });

  it('checks a record’s inclusion with the Merkle proof, hashed in the browser', async () => {
    const refs = await lineRefs(fed, statementId, 1);
    await expect.poll(() => operator.getByLabel('Record reference').inputValue()).toBe(refs[0]);
    await operator.getByRole('button', { name: 'Check inclusion' }).click();
    const result = operator.getByTestId('inclusion-result');
    await expect.poll(() => result.textContent()).toContain('Included.');
    expect(await result.textContent()).toContain(`of ${refs.length} in line 1`);
    // a reference the statement does not count is refused with its code
    await operator.getByLabel('Record reference').fill(`${s}-any/1-0`);
    await operator.getByRole('button', { name: 'Check inclusion' }).click();
    await expect.poll(() => operator.getByRole('alert').first().textContent()).toContain('NOT_FOUND');
  });

  it('downloads the statement as CSV', async () => {
    const [download] = await Promise.all([
      operator.waitForEvent('download'),
      operator.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^federa-statement-.+-pacific-.+-rhein\.csv$/);
    const csv = await readFile(await download.path(), 'utf8');
    const [header, line] = csv.split('\r\n');
    expect(header).toMatch(/^lineNo,kind,creditor,debtor,model,/);
    expect(line).toMatch(new RegExp(`^1,usage,${rhein},${pacific},${TEST_MODEL},`));
  });

  it('disputes a line: validates the amount in the form, then shows the new status', async () => {
    // the page as a party sees it with both checks passed (the screenshot shows them)
    await operator.getByRole('button', { name: 'Verify signature' }).click();
    await expect
      .poll(() => operator.getByTestId('signature-result').textContent())
      .toContain('Signature valid');
    await operator.getByLabel('Record reference').fill((await lineRefs(fed, statementId, 1))[0]!);
    await operator.getByRole('button', { name: 'Check inclusion' }).click();
    await expect.poll(() => operator.getByTestId('inclusion-result').textContent()).toContain('Included.');
    expect(await checkLayout(operator, 'operator-statement')).toEqual([]);
    expect(await unlabelledControls(operator)).toEqual([]);
    await operator.getByLabel('Dispute line 1').check();
    await operator.getByRole('button', { name: 'Dispute selected lines' }).click();
    await expect
      .poll(() => operator.getByTestId('line-1').textContent())
      .toContain('enter your amount as a number');
    await operator.getByLabel(/Your amount/).fill('0.000001');
    await operator.getByRole('button', { name: 'Dispute selected lines' }).click();
    await expect.poll(() => operator.getByTestId('statement-status').first().textContent()).toBe('disputed');
    expect(await operator.getByRole('heading', { name: new RegExp(`Disputed by ${rhein}`) }).count()).toBe(1);
    // a disputed statement is no longer offered for acceptance or dispute
    expect(await operator.getByRole('button', { name: 'Accept statement' }).count()).toBe(0);
    expect(await operator.getByRole('button', { name: 'Dispute selected lines' }).count()).toBe(0);
    expect(await checkLayout(operator, 'operator-statement-disputed')).toEqual([]);
  });
});

describe('operator and admin: accepting, and reading without acting', () => {
  it('accepts a whole statement after confirming, and shows who has accepted', async () => {
    const albion = `${s}-albion`;
    const id = `2020-01-01T00:00:00.000Z/${albion}~${rhein}`;
    await issueStatement(fed, id, rhein, albion);
    await operator.evaluate(
      (h) => ((globalThis as any).location.hash = h),
      `/operator/statements/${encodeURIComponent(id)}`,
    );
    await operator.getByTestId('line-1').waitFor();
    expect(await operator.getByTestId('line-1').textContent()).toContain('you owe');
    await operator.getByRole('button', { name: 'Accept statement' }).click();
    await operator.getByRole('button', { name: 'Yes, accept' }).click();
    await expect
      .poll(() => operator.getByRole('region', { name: 'Lifecycle' }).textContent())
      .toContain(`accepted by ${rhein}`);
    // issued until the other party accepts too; no longer open to Rhein's dispute
    expect(await operator.getByTestId('statement-status').first().textContent()).toBe('issued');
    expect(await operator.getByRole('button', { name: 'Accept statement' }).count()).toBe(0);
    expect(await operator.getByRole('button', { name: 'Dispute selected lines' }).count()).toBe(0);
  });

  it('marks a statement past its dispute deadline final and offers no dispute', async () => {
    const albion = `${s}-albion`;
    const id = `2020-01-02T00:00:00.000Z/${albion}~${rhein}`;
    await issueStatement(fed, id, rhein, albion, { version: 2, disputeDeadline: '2020-02-01T01:05:00.000Z' });
    await operator.evaluate(
      (h) => ((globalThis as any).location.hash = h),
      `/operator/statements/${encodeURIComponent(id)}`,
    );
    await operator.getByTestId('line-1').waitFor();
    expect(await operator.getByTestId('statement-final').textContent()).toBe('final');
    expect(await operator.getByRole('button', { name: 'Dispute selected lines' }).count()).toBe(0);
    expect(await operator.getByLabel('Dispute line 1').count()).toBe(0);
    // accepting stays possible: it records the acknowledgement, the amounts are binding anyway
    expect(await operator.getByRole('button', { name: 'Accept statement' }).count()).toBe(1);
  });

  it('shows an admin every statement, but offers no accept or dispute', async () => {
    const admin = await signedInPage(browser, fed.api.url, await fed.token('admin', 'root@federation'));
    await openRoute(admin, '/operator/statements', 'Statements');
    await admin.getByLabel('Operator').selectOption(pacific);
    await admin.getByRole('link', { name: `Statement ${statementId}` }).click();
    await admin.getByTestId('line-1').waitFor();
    expect(await admin.getByTestId('statement-status').first().textContent()).toBe('disputed');
    expect(await admin.getByRole('button', { name: 'Accept statement' }).count()).toBe(0);
    expect(await admin.getByRole('button', { name: 'Dispute selected lines' }).count()).toBe(0);
    expect(await admin.getByRole('button', { name: 'Verify signature' }).count()).toBe(1);
    await admin.context().close();
  });
});

describe('operator: roaming traffic', () => {
  it('shows what Rhein served for Pacific’s tenants, from the settled statement', async () => {
    await openRoute(operator, '/operator/traffic', 'Roaming traffic');
    await expect.poll(() => operator.getByTestId('traffic-requests').textContent()).toBe('2');
    expect(await operator.getByRole('region', { name: 'Traffic by home operator' }).textContent()).toContain(
      pacific,
    );
    await operator.locator('.recharts-bar-rectangle').first().waitFor();
    // no pointer resting on the chart: a tooltip shown at desktop width would be measured at phone width
    await operator.mouse.move(0, 0);
    expect(await checkLayout(operator, 'operator-traffic')).toEqual([]);
    expect(await unlabelledControls(operator)).toEqual([]);
  });
});
