/** Child processes of Federa's own apps (run from TypeScript source with tsx), stopped as a group. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from './paths';

export interface LaunchOptions {
  /** echo the child's lines, prefixed with its name (default); else only its last lines when it dies */
  readonly echo?: boolean;
  readonly nodeArgs?: readonly string[];
  /**
   * an argv prefix the node command runs under, e.g. ['ip','netns','exec','fed-par'] to run it inside
   * a site's namespace; `ip netns exec` execs, so the child's pid is still the node process's own
   */
  readonly wrap?: readonly string[];
  /** also append every line the child writes to this file (kept across relaunches; made if missing) */
  readonly logFile?: string;
}

interface Child {
  readonly name: string;
  readonly entry: string;
  readonly env: Record<string, string>;
  readonly opts: LaunchOptions;
  proc: ChildProcess;
}

export class ProcessGroup {
  private readonly children: Child[] = [];
  private stopping = false;

  /** @param onUnexpectedExit called when a child exits while the group is not stopping */
  constructor(private readonly onUnexpectedExit: (name: string, code: number | string | null) => void) {}

  launch(name: string, entry: string, env: Record<string, string>, opts: LaunchOptions = {}): ChildProcess {
    if (this.children.some((c) => c.name === name)) throw new Error(`a child named ${name} already runs`);
    const child: Child = { name, entry, env, opts, proc: this.spawn(name, entry, env, opts) };
    this.children.push(child);
    return child.proc;
  }

  private spawn(name: string, entry: string, env: Record<string, string>, opts: LaunchOptions): ChildProcess {
    const argv = [...(opts.nodeArgs ?? []), '--import', 'tsx', entry];
    const [cmd, ...args] = [...(opts.wrap ?? []), process.execPath, ...argv];
    const proc = spawn(cmd!, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const prefix = `[${name}] `.padEnd(11);
    const tail: string[] = [];
    if (opts.logFile) {
      mkdirSync(dirname(opts.logFile), { recursive: true });
      const file = createWriteStream(opts.logFile, { flags: 'a' });
      // the raw bytes, as the child wrote them: log tools read the file as they would its stdout
      proc.stdout?.pipe(file, { end: false });
      proc.stderr?.pipe(file, { end: false });
      proc.once('close', () => file.end());
    }
    for (const stream of [proc.stdout, proc.stderr]) {
      let buf = '';
      stream?.on('data', (chunk: Buffer) => {
        buf += chunk.toString();
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          tail.push(line);
          if (tail.length > 20) tail.shift();
          if (opts.echo ?? true) process.stdout.write(prefix + line + '\n');
        }
      });
    }
    proc.on('exit', (code, signal) => {
      if (this.stopping) return;
      if (!(opts.echo ?? true)) for (const line of tail) process.stderr.write(prefix + line + '\n');
      this.onUnexpectedExit(name, signal ?? code);
    });
    return proc;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** the names of the children, in launch order (stopped ones excluded) */
  names(): string[] {
    return this.children.map((c) => c.name);
  }

  /** The running child's process (undefined after stopChild or for an unknown name). */
  processOf(name: string): ChildProcess | undefined {
    return this.children.find((c) => c.name === name)?.proc;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.children.map(({ proc }) => terminate(proc)));
  }

  /** Stops one child on purpose (to relaunch it with other settings): not an unexpected exit. */
  async stopChild(name: string): Promise<void> {
    const i = this.children.findIndex((c) => c.name === name);
    if (i < 0) return;
    const [child] = this.children.splice(i, 1);
    child!.proc.removeAllListeners('exit');
    await terminate(child!.proc);
  }

  /**
   * Sends `signal` (default SIGKILL) to one child on purpose, for chaos runs: its exit is not
   * reported as unexpected. Resolves once it has exited; `relaunch` starts it again.
   */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.children.find((c) => c.name === name);
    if (!child) throw new Error(`no child named ${name}`);
    const { proc } = child;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.removeAllListeners('exit');
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    await exited;
  }

  /** Starts a child again with the entry, environment and options it was launched with. */
  relaunch(name: string): ChildProcess {
    const child = this.children.find((c) => c.name === name);
    if (!child) throw new Error(`no child named ${name}`);
    const { proc } = child;
    if (proc.exitCode === null && proc.signalCode === null) throw new Error(`${name} is still running`);
    child.proc = this.spawn(name, child.entry, child.env, child.opts);
    return child.proc;
  }
}

/** SIGTERM, then SIGKILL after 10 s. */
async function terminate(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  if (await Promise.race([exited.then(() => false), sleep(10_000).then(() => true)])) {
    proc.kill('SIGKILL');
    await exited;
  }
}

/** Waits for a file a child writes when it is ready (see the worker's FEDERA_READY_FILE). */
export async function waitForFile(path: string, timeoutMs: number, abort?: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (abort?.()) throw new Error('stopping');
    if (existsSync(path)) return;
    await sleep(200);
  }
  throw new Error(`${path} was not written within ${timeoutMs} ms`);
}

export async function waitForHttp(url: string, timeoutMs: number, abort?: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (abort?.()) throw new Error('stopping');
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await sleep(200);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/**
 * The worker settles periods by streaming millions of records; V8 would otherwise let its heap grow
 * far past the live set before collecting. The cap keeps a settlement run under 512 MB (bench:settlement
 * runs with the same flag).
 */
export const WORKER_NODE_ARGS = ['--max-old-space-size=384'] as const;

/** Every descendant of pid (children first, from /proc), without pid itself; [] once it is gone. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  for (let i = -1; i < out.length; i++) {
    const parent = i < 0 ? pid : out[i]!;
    try {
      const children = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim();
      if (children) out.push(...children.split(/\s+/).map(Number));
    } catch {
      // gone, or no such file on this kernel
    }
  }
  return out;
}

/** Alive and not a zombie waiting to be reaped: a zombie holds no sockets and does no work. */
export function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
