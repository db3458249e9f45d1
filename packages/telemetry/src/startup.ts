/**
 * What a process checks before it connects anywhere (its settings, its keys). A refusal there is an
 * operator's mistake, not a bug: it should read as one log line naming the code and the fix, not as
 * Node's uncaught-error dump with a stack trace into our sources.
 */

/** sysexits' EX_CONFIG: what supervisors and `kubectl describe` show for "configuration error" */
export const EXIT_CONFIG = 78;

/**
 * Runs `check`; when it throws, writes one fatal line (pino's JSON shape, so log pipelines parse it
 * like every other line of the process) with the error's stable `code`, and exits with EX_CONFIG.
 */
export async function checkedStartup<T>(name: string, check: () => T | Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (err) {
    process.stderr.write(startupRefusalLine(name, err) + '\n');
    process.exit(EXIT_CONFIG);
  }
}

/** The line checkedStartup prints (exported for its unit test). */
export function startupRefusalLine(name: string, err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return JSON.stringify({
    level: 60,
    time: Date.now(),
    name,
    code: typeof code === 'string' ? code : 'STARTUP_REFUSED',
    msg: `refusing to start: ${err instanceof Error ? err.message : String(err)}`,
  });
}
