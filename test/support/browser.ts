/**
 * Driving the web console in a real browser: Debian's Chromium through playwright-core (by path;
 * nothing is downloaded). Screenshots go to test-results/console/ (git-ignored) for people to look
 * at; the overflow and label checks are what the tests assert.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { inject } from 'vitest';

export const SCREENSHOT_DIR = join(import.meta.dirname, '../../test-results/console');

/** The two sizes every page must fit without horizontal scrolling: a laptop and a phone. */
export const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: inject('chromiumPath'),
    // root in CI containers: Chromium's sandbox needs user namespaces it may not get there
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** A fresh page (own session storage) signed in to the console at `apiUrl` with `credential`. */
export async function signedInPage(browser: Browser, apiUrl: string, credential: string): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORTS[0] });
  const page = await context.newPage();
  await page.goto(`${apiUrl}/console/`);
  await page.getByLabel('Token or API key').fill(credential);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('who').waitFor();
  return page;
}

/** Go to a console route (`/tenant/usage`) and wait until its heading shows. */
export async function openRoute(page: Page, route: string, heading: string | RegExp): Promise<void> {
  await page.evaluate((r) => ((globalThis as any).location.hash = r), route);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/**
 * The page as it stands, at both viewports: a full-page screenshot of each, and every element that
 * sticks out past the right edge of the viewport without being inside a box that scrolls it. An
 * empty list means nothing overflows. The viewport is restored to desktop afterwards.
 */
export async function checkLayout(page: Page, name: string): Promise<string[]> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const problems: string[] = [];
  for (const vp of VIEWPORTS) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    // let layout (and the charts' resize observers) settle
    await page.evaluate(
      () =>
        new Promise((r) =>
          (globalThis as any).requestAnimationFrame(() => (globalThis as any).requestAnimationFrame(r)),
        ),
    );
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${vp.name}.png`), fullPage: true });
    const found = await page.evaluate(overflowingElements);
    problems.push(...found.map((f) => `${name} @ ${vp.width}×${vp.height}: ${f}`));
  }
  await page.setViewportSize(VIEWPORTS[0]);
  return problems;
}

/**
 * Runs in the page. The test program has no DOM typings (it is Node code), hence the loose types of
 * everything taken from the page's globals.
 */
function overflowingElements(): string[] {
  const { document, getComputedStyle } = globalThis as any;
  const width = document.documentElement.clientWidth;
  const out: string[] = [];
  if (document.documentElement.scrollWidth > width + 1)
    out.push(`the page scrolls sideways (${document.documentElement.scrollWidth}px wide in ${width}px)`);
  const scrolls = (el: any) => {
    const s = getComputedStyle(el);
    return ['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX);
  };
  for (const el of Array.from<any>(document.body.querySelectorAll('*'))) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    let parent = el.parentElement;
    let contained = false;
    while (parent && parent !== document.body) {
      if (scrolls(parent)) {
        contained = true;
        break;
      }
      parent = parent.parentElement;
    }
    if (contained) continue;
    const id = el.id ? `#${el.id}` : '';
    const cls = typeof el.className === 'string' && el.className ? `.${el.className.split(' ')[0]}` : '';
    out.push(`<${el.tagName.toLowerCase()}${id}${cls}> ends at ${Math.round(box.right)}px`);
    if (out.length > 10) break;
  }
  return out;
}

/** Form controls with no accessible name (no label, aria-label or aria-labelledby). */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const { document } = globalThis as any;
    const labelFor = new Set(Array.from<any>(document.querySelectorAll('label')).map((l: any) => l.htmlFor));
    return Array.from<any>(document.querySelectorAll('input, select, textarea'))
      .filter((el: any) => el.type !== 'hidden')
      .filter((el: any) => {
        const labelled =
          el.getAttribute('aria-label') ||
          el.getAttribute('aria-labelledby') ||
          (el.id && labelFor.has(el.id)) ||
          el.closest('label');
        return !labelled;
      })
      .map((el: any) => `<${el.tagName.toLowerCase()} name="${el.getAttribute('name') ?? ''}">`);
  });
}
