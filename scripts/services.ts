/**
 * What every local server the scripts start shares: the profiles (ports, limits), the data
 * directory, and starting, waiting for and stopping a logged child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from './paths';

export interface Profile {
  readonly name: string;
  readonly temporalPort: number;
  /** the Web UI port, or null for headless */
  readonly temporalUiPort: number | null;
  /** persist Temporal state in a SQLite file (dev), or keep it in memory (tests, benchmarks) */
  readonly temporalPersistent: boolean;
  readonly redisPort: number;
  /**
   * Redis `maxmemory`. With `noeviction`, a full Redis refuses writes (the ledger's reserve fails
   * loudly with an internal error) instead of silently evicting holds, balances or usage records.
   */
  readonly redisMaxMemory: string;
}

export const PROFILES = {
  dev: {
    name: 'dev',
    temporalPort: 7233,
    temporalUiPort: 8233,
    temporalPersistent: true,
    redisPort: 6381,
    redisMaxMemory: '1gb',
  },
  test: {
    name: 'test',
    temporalPort: 7243,
    temporalUiPort: null,
    temporalPersistent: false,
    redisPort: 6391,
    redisMaxMemory: '1gb',
  },
  bench: {
    name: 'bench',
    temporalPort: 7253,
    temporalUiPort: null,
    temporalPersistent: false,
    redisPort: 6392,
    // bench:settlement writes 1,000,000 usage records
    redisMaxMemory: '4gb',
  },
} as const satisfies Record<string, Profile>;

export function dataDir(profile: Profile): string {
  const dir = join(ROOT, '.data', profile.name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface RunningService {
  readonly name: string;
  readonly address: string;
  /** true when this process started it (and so stops it) */
  readonly owned: boolean;
  /** something the user should know about a reused server (e.g. a Redis without ACLs) */
  readonly note?: string;
  stop(): Promise<void>;
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  child?: ChildProcess,
  logFile?: string,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      const tail =
        logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
      throw new Error(`${what} exited with code ${child.exitCode} before it was ready.\n${tail}`);
    }
    if (await check()) return;
    await sleep(150);
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms${logFile ? ` (log: ${logFile})` : ''}`);
}

export function spawnLogged(
  cmd: string,
  args: string[],
  logFile: string,
  pidFile: string,
  detached: boolean,
): ChildProcess {
  const out = openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', out, out], detached });
  if (detached) child.unref();
  writeFileSync(pidFile, String(child.pid));
  return child;
}

export function stopper(name: string, child: ChildProcess, pidFile: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timedOut = await Promise.race([exited.then(() => false), sleep(10_000).then(() => true)]);
      if (timedOut) {
        console.warn(`${name} did not stop within 10 s; killing it`);
        child.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(pidFile, { force: true });
  };
}

export interface StartOptions {
  /** keep running after this process exits (infra:up) */
  readonly detached?: boolean;
  readonly timeoutMs?: number;
}
