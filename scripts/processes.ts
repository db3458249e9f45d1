/** Child processes of Federa's own apps (run from TypeScript source with tsx), stopped as a group. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from './paths';

export class ProcessGroup {
  private readonly children: { name: string; proc: ChildProcess }[] = [];
  private stopping = false;

  /** @param onUnexpectedExit called when a child exits while the group is not stopping */
  constructor(private readonly onUnexpectedExit: (name: string, code: number | string | null) => void) {}

  launch(
    name: string,
    entry: string,
    env: Record<string, string>,
    opts: { echo?: boolean; nodeArgs?: readonly string[] } = {},
  ): ChildProcess {
    const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', entry], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const prefix = `[${name}] `.padEnd(11);
    const tail: string[] = [];
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
    this.children.push({ name, proc });
    return proc;
  }

  get isStopping(): boolean {
    return this.stopping;
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
