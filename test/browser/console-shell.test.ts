/**
 * The console's shell in a real browser against a real federation: the API serves the build at
 * /console with its security headers, sign-in asks the API who the credential is, each role is
 * offered only its own pages, and a refused credential shows its Federa code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { Browser } from 'playwright-core';
import { startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { testTopology } from '../support/topology';
import { checkLayout, launchBrowser, signedInPage, unlabelledControls } from '../support/browser';

const s = uniqueSuffix();
let fed: Federation;
let browser: Browser;

beforeAll(async () => {
  fed = await startFederation(testTopology(s), { consoleDir: inject('consoleDir') });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await fed?.close();
});

const navOf = async (page: Awaited<ReturnType<typeof signedInPage>>) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();

describe('the console is served by the API', () => {
  it('serves index.html under /console/ with a strict content security policy', async () => {
    const res = await fetch(`${fed.api.url}/console/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const html = await res.text();
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${fed.api.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
  });

  it('answers an unknown asset with 404 and an unknown page with the app', async () => {
    expect((await fetch(`${fed.api.url}/console/assets/nope.js`)).status).toBe(404);
    const deep = await fetch(`${fed.api.url}/console/anything/else`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<div id="root">');
    const bare = await fetch(`${fed.api.url}/console`, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/console/');
    const traversal = await fetch(`${fed.api.url}/console/..%2f..%2fpackage.json`);
    expect(await traversal.text()).toContain('<div id="root">');
    expect((await fetch(`${fed.api.url}/console/`, { method: 'POST' })).status).toBe(405);
  });
});

describe('signing in', () => {
  it('refuses a bad credential with its Federa code, and keeps the user on the sign-in form', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${fed.api.url}/console/`);
    expect(await unlabelledControls(page)).toEqual([]);
    await page.getByLabel('Token or API key').fill('not a token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('no spaces');
    await page.getByLabel('Token or API key').fill('eyJhbGciOiJFZERTQSJ9.e30.c2lnbmF0dXJl');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('UNAUTHENTICATED');
    expect(await page.getByLabel('Token or API key').isVisible()).toBe(true);
    expect(await checkLayout(page, 'sign-in')).toEqual([]);
    await context.close();
  });

  it('offers each role its own pages and nothing else', async () => {
    const tenant = await signedInPage(browser, fed.api.url, await fed.token('tenant', `${s}-eu`));
    expect(await tenant.getByTestId('who').textContent()).toContain(`${s}-eu`);
    expect(await navOf(tenant)).toEqual(['Spend', 'Usage', 'API keys', 'Routing dry run']);

    const operator = await signedInPage(browser, fed.api.url, await fed.token('operator', `${s}-rhein`));
    expect(await navOf(operator)).toEqual(['Sites', 'Roaming traffic', 'Statements']);

    const admin = await signedInPage(browser, fed.api.url, await fed.token('admin', 'alice@federation'));
    expect(await navOf(admin)).toEqual([
      'Sites',
      'Statements',
      'Routing policy',
      'Tenants & budgets',
      'Rate cards & FX',
      'Audit log',
    ]);
    // a route of another role, typed into the address bar, shows this role's home instead
    await tenant.evaluate(() => ((globalThis as any).location.hash = '/admin/audit'));
    await tenant.getByRole('heading', { level: 1, name: 'Spend' }).waitFor();
    for (const p of [tenant, operator, admin]) await p.context().close();
  });

  it('works from the keyboard: skip link, navigation, focus moved to the new page', async () => {
    const page = await signedInPage(browser, fed.api.url, await fed.token('tenant', `${s}-eu`));
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.textContent)).toBe(
      'Skip to content',
    );
    // Tab on through the top bar into the navigation, to "Usage", and follow it with Enter
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      const label = await page.evaluate(() => (globalThis as any).document.activeElement?.textContent);
      if (label === 'Usage') break;
    }
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Usage' }).waitFor();
    await expect
      .poll(() => page.evaluate(() => (globalThis as any).document.activeElement?.id as string))
      .toBe('main');
    await page.context().close();
  });

  it('an API key is a tenant without key management, and signing out forgets it', async () => {
    const session = await fed.token('tenant', `${s}-eu`);
    const created = await fetch(`${fed.api.url}/trpc/keys.create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'console-shell' }),
    });
    const { secret } = ((await created.json()) as { result: { data: { secret: string } } }).result.data;
    const page = await signedInPage(browser, fed.api.url, secret);
    expect(await page.getByTestId('who').textContent()).toContain('API key');
    expect(await navOf(page)).toEqual(['Spend', 'Usage', 'Routing dry run']);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token or API key').waitFor();
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.length as number)).toBe(0);
    await page.context().close();
  });
});
