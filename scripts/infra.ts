/**
 * Starts and stops the real infrastructure on loopback: the Temporal CLI dev server (here) and
 * redis-server (redis.ts; AOF on, ACL users, bounded memory), with data under .data/<profile>/. A
 * service already answering on its port is reused and left running; one we started is ours to
 * stop. Pid files let `infra:down` stop servers that `infra:up` left in the background.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { temporalPath } from './bootstrap.mjs';
import { ROOT } from './paths';
import {
  dataDir,
  spawnLogged,
  stopper,
  waitFor,
  type Profile,
  type RunningService,
  type StartOptions,
} from './services';

export { ROOT };
export { PROFILES, dataDir, type Profile, type RunningService, type StartOptions } from './services';
export { ensureRedis, ensureRedisCluster } from './redis';

/** Dynamic config for the single-shard dev server (see ensureTemporal). */
export const TEMPORAL_DEV_TUNING = [
  'history.transferProcessorMaxPollRPS=1000',
  'history.timerProcessorMaxPollRPS=1000',
  'history.visibilityProcessorMaxPollRPS=1000',
];

async function temporalReady(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    await connection.workflowService.describeNamespace({ namespace: 'default' });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

/** Something accepts TCP connections on the port (a server, possibly still starting or busy). */
function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(2000, () => done(false));
  });
}

export async function ensureTemporal(profile: Profile, opts: StartOptions = {}): Promise<RunningService> {
  const address = `127.0.0.1:${profile.temporalPort}`;
  const noop = { name: 'temporal', address, owned: false, stop: () => Promise.resolve() };
  if (await temporalReady(address)) return noop;
  // A server that holds the port but missed the quick probe (starting, or a loaded machine) is
  // waited for, not raced by a second one that could only fail with "address already in use".
  if (await portOpen(profile.temporalPort)) {
    await waitFor(`the Temporal server already on ${address}`, () => temporalReady(address), 60_000);
    return noop;
  }
  const bin = temporalPath();
  if (!bin) throw new Error('the Temporal CLI is not installed: run `node scripts/bootstrap.mjs`');
  const dir = dataDir(profile);
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(profile.temporalPort),
    '--log-level',
    'warn',
    // Update-With-Start and other multi-operations
    '--dynamic-config-value',
    'frontend.enableExecuteMultiOperation=true',
    // The dev server has a single history shard whose transfer-queue reader polls the store at
    // most 20 times a second by default, so every task hand-off (workflow task, activity task)
    // waited ~25 ms on average: a request with three hand-offs paid ~75 ms for nothing. Raising the
    // cap makes hand-offs immediate; measured: a trivial workflow 50 → 14 ms, a request 150 → 37 ms.
    ...TEMPORAL_DEV_TUNING.flatMap((kv) => ['--dynamic-config-value', kv]),
  ];
  if (profile.temporalUiPort === null) args.push('--headless');
  else args.push('--ui-port', String(profile.temporalUiPort));
  if (profile.temporalPersistent) {
    args.push(
      '--db-filename',
      join(dir, 'temporal.sqlite'),
      '--sqlite-pragma',
      'journal_mode=WAL',
      '--sqlite-pragma',
      'synchronous=NORMAL',
    );
  }
  const logFile = join(dir, 'temporal.log');
  const pidFile = join(dir, 'temporal.pid');
  const child = spawnLogged(bin, args, logFile, pidFile, opts.detached ?? false);
  await waitFor(
    'the Temporal dev server',
    () => temporalReady(address),
    opts.timeoutMs ?? 60_000,
    child,
    logFile,
  );
  return { name: 'temporal', address, owned: true, stop: stopper('temporal', child, pidFile) };
}

/** Stop servers that a detached `infra:up` left running for this profile. */
export async function stopDetached(profile: Profile): Promise<string[]> {
  const stopped: string[] = [];
  for (const name of ['temporal', 'redis']) {
    const pidFile = join(dataDir(profile), `${name}.pid`);
    if (!existsSync(pidFile)) continue;
    const pid = Number(readFileSync(pidFile, 'utf8'));
    try {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100; i++) {
        await sleep(100);
        process.kill(pid, 0);
      }
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone: that is the goal
    }
    rmSync(pidFile, { force: true });
    stopped.push(name);
  }
  return stopped;
}
