/**
 * The `federa` CLI as an operator runs it: a child process from the repository root (Node 20 runs
 * its TypeScript through tsx). Answers the exit code and the output instead of throwing on a
 * non-zero exit, so tests can assert on refusals (exit 1) and usage errors (exit 2).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout then stderr, for assertions on what the operator sees */
  readonly out: string;
}

export async function runCli(args: readonly string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'apps/cli/src/main.ts', ...args],
      {
        cwd: ROOT,
      },
    );
    return { code: 0, stdout, stderr, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    const stdout = e.stdout ?? '';
    const stderr = e.stderr ?? '';
    return { code: e.code, stdout, stderr, out: stdout + stderr };
  }
}
