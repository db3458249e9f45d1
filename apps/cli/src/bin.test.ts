/**
 * The `federa` command as users run it: `npx federa` from the repo and the package's bin run by
 * plain Node (as an installed bin is) from another directory. Node 20 cannot run `.ts` files, so
 * the bin must be JavaScript that loads the TypeScript CLI itself.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI_DIR = resolve(import.meta.dirname, '..');
const ROOT = resolve(CLI_DIR, '../..');

describe('the federa bin', () => {
  it('is a JavaScript file that Node runs as an installed bin, from any directory', async () => {
    const pkg = JSON.parse(readFileSync(join(CLI_DIR, 'package.json'), 'utf8')) as {
      bin: { federa: string };
    };
    expect(pkg.bin.federa).toMatch(/\.(mjs|cjs|js)$/);
    const { stdout } = await run(process.execPath, [join(CLI_DIR, pkg.bin.federa), '--help'], {
      cwd: tmpdir(),
    });
    expect(stdout).toMatch(/^usage:\n {2}federa keygen/);
  }, 60_000);

  it('runs as `npx federa --help` from the repository', async () => {
    const { stdout } = await run('npx', ['--no-install', 'federa', '--help'], { cwd: ROOT });
    expect(stdout).toContain('federa statements verify');
  }, 60_000);

  it('answers a command named like an Object.prototype member as unknown (exit 2), not a crash', async () => {
    const bin = join(CLI_DIR, 'bin', 'federa.mjs');
    for (const name of ['constructor', 'toString', '__proto__']) {
      const failure = await run(process.execPath, [bin, name], { cwd: ROOT }).then(
        () => null,
        (err: { code?: number; stderr?: string }) => err,
      );
      expect(failure?.code).toBe(2);
      expect(failure?.stderr).toContain(`unknown command '${name}'`);
    }
  }, 60_000);
});
