/** Child processes of Federa's own apps (run from TypeScript source with tsx), stopped as a group. */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from './paths';

export class ProcessGroup {
  private readonly children: { name: string; proc: ChildProcess }[] = [];
  private readonly lineWaiters: { name: string; text: string; seen: () => void }[] = [];
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
          for (const w of this.lineWaiters.filter((x) => x.name === name && line.includes(x.text))) {
            this.lineWaiters.splice(this.lineWaiters.indexOf(w), 1);
            w.seen();
          }
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

  /**
   * Resolves when the child `name` prints a line containing `text` (its own "ready" line), so a
   * caller can wait for more than a listening port. Call it right after `launch`: earlier lines are
   * not kept.
   */
  untilLine(name: string, text: string, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.lineWaiters.splice(this.lineWaiters.indexOf(waiter), 1);
        reject(new Error(`${name} did not print "${text}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        name,
        text,
        seen: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.lineWaiters.push(waiter);
    });
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.children.map(async ({ proc }) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        proc.kill('SIGTERM');
        if (await Promise.race([exited.then(() => false), sleep(10_000).then(() => true)])) {
          proc.kill('SIGKILL');
          await exited;
        }
      }),
    );
  }
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
