/**
 * HAProxy in front of the stack's replicas: HTTP for the APIs, TCP for Temporal's gRPC frontends.
 *
 * Settings that matter:
 * - active checks every 500 ms, 2 failures to go down, 2 successes to come back: a killed replica
 *   leaves the rotation within about a second;
 * - `retries 3` + `option redispatch 1`: a connect that fails (the replica just died) is retried on
 *   another server, so the client never sees it. Only connect failures are retried (HAProxy's
 *   default `retry-on conn-failure`): a request that reached a replica is never sent twice.
 * - SSE streams through HTTP mode as it is produced: HAProxy 2.6 forwards response data as it
 *   arrives (no response buffering; only `compression` would hold it, and none is configured), in
 *   the default keep-alive mode — `option http-server-close` is not needed. What streams need is
 *   long idle timeouts (client/server 10 min) so a slow generation is not cut.
 * - foreground master-worker (`-W -db`): the pid held is the master's, SIGTERM stops it and its
 *   worker, SIGUSR2 reloads the configuration written to the same file. The master CLI (`-S`, a
 *   unix socket in the proxy's directory) says when a reload has finished (`show proc`).
 *
 * A reload re-executes the master; a SIGTERM that lands meanwhile kills the new image before it has
 * taken over, and the old worker, orphaned, keeps accepting until it notices. So reload() returns
 * only once the master reports the reload done, and stop() returns only once the workers are gone
 * and nothing listens on the frontends any more.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { connect, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { haproxyPath } from '../bootstrap.mjs';
import { descendants, isRunning } from '../processes';

const exec = promisify(execFile);

export interface ProxyFrontend {
  readonly name: string;
  /** 'host:port' */
  readonly bind: string;
  readonly mode: 'http' | 'tcp';
  readonly servers: readonly { name: string; address: string }[];
  /** http mode: GET path for active health checks (e.g. /health); tcp mode: plain connect checks */
  readonly healthPath?: string;
}

export interface Haproxy {
  pid(): number | undefined;
  stop(): Promise<void>;
  reload?(): Promise<void>;
}

const NAME = /^[A-Za-z0-9_.-]+$/;
const ADDRESS = /^[A-Za-z0-9_.-]+:\d{1,5}$/;

/** The configuration text (exported for the stack's status output and the test). */
export function haproxyConfig(frontends: readonly ProxyFrontend[]): string {
  const lines = [
    'global',
    '  log stderr format raw daemon notice',
    // each connection takes two descriptors; 4000 stays under common ulimits (20000 here) with room
    '  maxconn 4000',
    'defaults',
    '  log global',
    '  option dontlognull',
    '  timeout connect 2s',
    '  timeout client 10m',
    '  timeout server 10m',
    '  timeout tunnel 10m',
    '  timeout http-request 30s',
    '  timeout queue 5s',
    '  timeout check 2s',
    '  retries 3',
    '  option redispatch 1',
    '  default-server inter 500ms fall 2 rise 2',
  ];
  for (const f of frontends) {
    for (const value of [f.name, ...f.servers.map((s) => s.name)])
      if (!NAME.test(value)) throw new Error(`haproxy: "${value}" is not a valid name`);
    for (const value of [f.bind, ...f.servers.map((s) => s.address)])
      if (!ADDRESS.test(value)) throw new Error(`haproxy: "${value}" is not host:port`);
    if (f.servers.length === 0) throw new Error(`haproxy: frontend ${f.name} has no servers`);
    lines.push(
      `frontend ${f.name}`,
      `  mode ${f.mode}`,
      `  bind ${f.bind}`,
      ...(f.mode === 'tcp' ? ['  option tcplog'] : []),
      `  default_backend ${f.name}_servers`,
      `backend ${f.name}_servers`,
      `  mode ${f.mode}`,
      '  balance roundrobin',
      ...(f.mode === 'http' && f.healthPath
        ? [`  option httpchk GET ${f.healthPath}`, '  http-check expect status 200']
        : []),
      ...f.servers.map((s) => `  server ${s.name} ${s.address} check`),
    );
  }
  return lines.join('\n') + '\n';
}

function listening(hostPort: string): Promise<boolean> {
  const i = hostPort.lastIndexOf(':');
  return new Promise((resolve) => {
    const socket = connect({ host: hostPort.slice(0, i), port: Number(hostPort.slice(i + 1)) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startHaproxy(opts: {
  dir: string;
  frontends: readonly ProxyFrontend[];
  /** outlives this process (a stack brought up by one command, stopped by another); logs to dir/haproxy.log */
  detached?: boolean;
}): Promise<Haproxy> {
  const bin = haproxyPath();
  if (!bin) throw new Error('haproxy is not installed (scripts/bootstrap.mjs ensureHaproxy() installs it)');
  mkdirSync(opts.dir, { recursive: true });
  const configFile = join(opts.dir, 'haproxy.cfg');
  const write = async () => {
    writeFileSync(configFile, haproxyConfig(opts.frontends));
    try {
      await exec(bin, ['-c', '-q', '-f', configFile]);
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      throw new Error(`haproxy rejected ${configFile}: ${(e.stderr || e.stdout || String(err)).trim()}`);
    }
  };
  await write();

  const masterSocket = masterSocketPath(opts.dir);
  const log = openSync(join(opts.dir, 'haproxy.log'), 'a');
  const proc: ChildProcess = spawn(bin, ['-W', '-db', '-S', masterSocket, '-f', configFile], {
    detached: opts.detached ?? false,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  if (opts.detached) proc.unref();
  let exited = false;
  proc.once('exit', () => (exited = true));

  const deadline = Date.now() + 10_000;
  for (const f of opts.frontends) {
    while (!(await listening(f.bind))) {
      if (exited || Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`haproxy did not listen on ${f.bind}; see ${join(opts.dir, 'haproxy.log')}`);
      }
      await sleep(50);
    }
  }

  return {
    pid: () => (exited ? undefined : proc.pid),
    stop: async () => {
      if (exited || proc.exitCode !== null || proc.signalCode !== null) return;
      const workers = descendants(proc.pid!);
      const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      if (await Promise.race([gone.then(() => false), sleep(5_000).then(() => true)])) proc.kill('SIGKILL');
      await gone;
      // a worker the master did not take down with it (it died mid-reload) leaves by itself once it
      // sees the master gone; wait for that, and do not leave it behind if it does not
      const until = Date.now() + 5_000;
      while (workers.some(isRunning) && Date.now() < until) await sleep(20);
      for (const pid of workers.filter(isRunning)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone between the check and the kill
        }
      }
      for (const f of opts.frontends) {
        while (await listening(f.bind)) {
          if (Date.now() > until + 1_000)
            throw new Error(`haproxy stopped, but ${f.bind} still accepts connections`);
          await sleep(20);
        }
      }
    },
    reload: async () => {
      const before = await masterReloads(masterSocket);
      await write();
      proc.kill('SIGUSR2');
      const until = Date.now() + 10_000;
      for (;;) {
        const now = await masterReloads(masterSocket).catch(() => undefined); // mid re-exec: no socket
        if (now && now.failed > before.failed)
          throw new Error(`haproxy failed to reload; see ${join(opts.dir, 'haproxy.log')}`);
        if (now && now.reloads > before.reloads && now.workers > 0) return;
        if (exited || Date.now() > until)
          throw new Error(`haproxy did not finish reloading; see ${join(opts.dir, 'haproxy.log')}`);
        await sleep(20);
      }
    },
  };
}

/**
 * The master CLI's socket: in the proxy's directory, unless that path is too long for a unix socket
 * (108 bytes on Linux, a deep checkout reaches it), then in the temp directory under a name derived
 * from the proxy's directory.
 */
function masterSocketPath(dir: string): string {
  const beside = join(dir, 'master.sock');
  if (Buffer.byteLength(beside) < 100) return beside;
  return join(tmpdir(), `federa-haproxy-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}.sock`);
}

/** The master's reload counters and its current workers, from the master CLI's `show proc`. */
async function masterReloads(
  socketPath: string,
): Promise<{ reloads: number; failed: number; workers: number }> {
  const text = await new Promise<string>((resolve, reject) => {
    const socket = createConnection(socketPath);
    let out = '';
    socket.setEncoding('utf8');
    socket.setTimeout(2_000, () => socket.destroy(new Error('haproxy master CLI did not answer')));
    socket.on('data', (chunk: string) => (out += chunk));
    socket.once('end', () => {
      socket.destroy();
      resolve(out);
    });
    socket.once('error', reject);
    socket.once('connect', () => socket.end('show proc\n'));
  });
  const master = /^\d+\s+master\s+(\d+) \[failed: (\d+)\]/m.exec(text);
  if (!master) throw new Error(`unexpected haproxy "show proc" answer: ${text.slice(0, 200)}`);
  const current = text.split('# workers')[1]?.split('#')[0] ?? '';
  return {
    reloads: Number(master[1]),
    failed: Number(master[2]),
    workers: current.split('\n').filter((line) => /^\d+\s+worker\b/.test(line)).length,
  };
}
