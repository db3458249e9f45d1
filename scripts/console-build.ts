/**
 * Builds the web console (apps/console) with Vite into apps/console/dist, which the API serves at
 * /console. npm start and the browser tests call it; it takes about two seconds.
 */
import { join } from 'node:path';
import { build } from 'vite';
import { ROOT } from './paths';

export const CONSOLE_ROOT = join(ROOT, 'apps', 'console');
export const CONSOLE_DIST = join(CONSOLE_ROOT, 'dist');

export async function buildConsole(): Promise<string> {
  await build({
    root: CONSOLE_ROOT,
    configFile: join(CONSOLE_ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: CONSOLE_DIST, emptyOutDir: true },
  });
  return CONSOLE_DIST;
}
