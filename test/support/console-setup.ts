/**
 * Before the integration suites: the web console built once (Vite, ~2 s) for the browser tests,
 * which serve it from the API under test, and Chromium from Debian's packages for playwright-core
 * to drive (no browser download: it cannot work on these machines).
 */
import type { TestProject } from 'vitest/node';
import { ensureChromium } from '../../scripts/bootstrap.mjs';
import { buildConsole } from '../../scripts/console-build';

declare module 'vitest' {
  export interface ProvidedContext {
    consoleDir: string;
    chromiumPath: string;
  }
}

export async function setup(project: TestProject) {
  project.provide('consoleDir', await buildConsole());
  project.provide('chromiumPath', process.env.FEDERA_CHROMIUM ?? ensureChromium());
}
