/**
 * A PostgreSQL cluster for the production-like stack, from Debian's server package: initdb once
 * into <dir>/pgdata (an existing cluster is reused), a generated password kept in <dir>/password
 * (mode 600, never logged), TCP on one loopback address only, no Unix socket. PostgreSQL refuses to
 * run as root, so when we are root it runs as the `postgres` system user (which owns pgdata).
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { waitFor } from '../services';

export interface Postgres {
  /** postgres://user:password@host:port (contains the password: never log it) */
  readonly url: string;
  readonly user: string;
  readonly password: string;
  readonly host: string;
  readonly port: number;
  /** the postmaster's pid, while it runs */
  pid(): number | undefined;
  /** fast shutdown (also of a cluster started by an earlier, detached run) */
  stop(): Promise<void>;
}

export interface PostgresOptions {
  readonly dir: string;
  readonly port: number;
  /** a loopback address; default 127.0.0.1 */
  readonly host?: string;
  /** keep running after this process exits (stack up) */
  readonly detached?: boolean;
  readonly timeoutMs?: number;
}

/** The superuser the stack connects as (Temporal's SQL tool creates its databases with it). */
export const POSTGRES_USER = 'temporal';

/**
 * Sized for this 2-core machine that also runs Temporal, Redis and the apps: 128 MB of shared
 * buffers holds the stack's whole working set; 200 connections cover 2 Temporal servers × 4
 * services × their pools (Temporal's default maxConns is 20 per store) with headroom. fsync stays
 * on: the stack is about surviving process kills, and a kill -9 of PostgreSQL must lose nothing.
 */
const SERVER_SETTINGS = {
  shared_buffers: '128MB',
  max_connections: '200',
  fsync: 'on',
  unix_socket_directories: '',
};

const run = promisify(execFile);

/** The server binaries' folder (Debian: /usr/lib/postgresql/<major>/bin), or null. */
export function postgresBinDir(): string | null {
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const majors = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const major of majors) {
      const bin = join(debian, major, 'bin');
      if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) return bin;
    }
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  return null;
}

/** Who runs the server: ourselves, or the `postgres` system user when we are root. */
async function serverAccount(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new Error(
      "PostgreSQL refuses to run as root and there is no `postgres` system user: install Debian's postgresql package or run the stack as a normal user",
    );
  }
}

/** The `postgres` user must be able to enter the folder (mkdtemp makes 0700 ones it cannot). */
async function checkReachable(dir: string, account: { uid?: number; gid?: number }): Promise<void> {
  if (account.uid === undefined) return;
  try {
    await run('test', ['-x', dir], account);
  } catch {
    throw new Error(
      `PostgreSQL runs as the postgres system user, which cannot enter ${dir}: make it and every parent folder searchable (chmod o+x)`,
    );
  }
}

function readPassword(file: string): string {
  return readFileSync(file, 'utf8').trim();
}

function postmasterPid(pgdata: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(pgdata, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

async function accepting(bin: string, host: string, port: number): Promise<boolean> {
  try {
    await run(join(bin, 'pg_isready'), ['-q', '-h', host, '-p', String(port), '-t', '2']);
    return true;
  } catch {
    return false;
  }
}

async function initCluster(
  bin: string,
  dir: string,
  pgdata: string,
  account: { uid?: number; gid?: number },
) {
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
  mkdirSync(pgdata, { recursive: true, mode: 0o700 });
  if (account.uid !== undefined && account.gid !== undefined) {
    chownSync(passwordFile, account.uid, account.gid);
    chownSync(pgdata, account.uid, account.gid);
  }
  await run(
    join(bin, 'initdb'),
    [
      '-D',
      pgdata,
      '-U',
      POSTGRES_USER,
      `--pwfile=${passwordFile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=peer',
      '--encoding=UTF8',
      '--locale=C',
    ],
    { ...account, cwd: dir },
  ).catch((e: Error & { stderr?: string }) => {
    throw new Error(`initdb failed in ${pgdata}:\n${(e.stderr ?? e.message).slice(-2000)}`);
  });
}

export async function startPostgres(opts: PostgresOptions): Promise<Postgres> {
  const host = opts.host ?? '127.0.0.1';
  if (!host.startsWith('127.')) throw new Error(`PostgreSQL listens on loopback only, not on ${host}`);
  const bin = postgresBinDir();
  if (!bin) {
    throw new Error(
      'PostgreSQL is not installed (no initdb/postgres): `apt-get install postgresql` (Debian) and retry',
    );
  }
  mkdirSync(opts.dir, { recursive: true });
  const pgdata = join(opts.dir, 'pgdata');
  const account = await serverAccount();
  await checkReachable(opts.dir, account);
  if (!existsSync(join(pgdata, 'PG_VERSION'))) await initCluster(bin, opts.dir, pgdata, account);
  const password = readPassword(join(opts.dir, 'password'));

  const running = postmasterPid(pgdata) !== undefined && (await accepting(bin, host, opts.port));
  if (!running) {
    const logFile = join(opts.dir, 'postgres.log');
    const out = openSync(logFile, 'a');
    if (account.uid !== undefined && account.gid !== undefined) chownSync(logFile, account.uid, account.gid);
    const settings = { ...SERVER_SETTINGS, listen_addresses: host, port: String(opts.port) };
    const args = ['-D', pgdata, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const detached = opts.detached ?? false;
    const child = spawn(join(bin, 'postgres'), args, {
      ...account,
      cwd: opts.dir,
      stdio: ['ignore', out, out],
      detached,
    });
    if (detached) child.unref();
    await waitFor(
      `PostgreSQL on ${host}:${opts.port}`,
      () => accepting(bin, host, opts.port),
      opts.timeoutMs ?? 60_000,
      child,
      logFile,
    );
  }

  const url = `postgres://${POSTGRES_USER}:${encodeURIComponent(password)}@${host}:${opts.port}`;
  return {
    url,
    user: POSTGRES_USER,
    password,
    host,
    port: opts.port,
    pid: () => postmasterPid(pgdata),
    stop: () => stopPostmaster(pgdata),
  };
}

/** SIGINT is PostgreSQL's fast shutdown; SIGQUIT (immediate) only if that takes over 30 s. */
async function stopPostmaster(pgdata: string): Promise<void> {
  const pid = postmasterPid(pgdata);
  if (pid === undefined) return;
  process.kill(pid, 'SIGINT');
  for (let waited = 0; postmasterPid(pgdata) === pid; waited += 100) {
    if (waited === 30_000) process.kill(pid, 'SIGQUIT');
    await sleep(100);
  }
}
