/**
 * Token counting off the event loop: a small pool of worker threads, each counting one chat at a
 * time. A count that overruns its deadline has its worker terminated (the only way to stop a busy
 * thread) and replaced, and its caller gets TokenCountTimeoutError; callers beyond `maxQueued`
 * waiting for a worker get TokenCountBusyError at once. Nothing here blocks the caller's thread.
 */
import { Worker } from 'node:worker_threads';
import type { ChatMessageLike } from './index';

export class TokenCountTimeoutError extends Error {
  constructor(readonly deadlineMs: number) {
    super(`token counting did not finish within ${deadlineMs} ms`);
    this.name = 'TokenCountTimeoutError';
  }
}

export class TokenCountBusyError extends Error {
  constructor() {
    super('every token-counting worker is busy and the queue is full');
    this.name = 'TokenCountBusyError';
  }
}

export interface TokenCountPoolOptions {
  /** worker threads (each loads the o200k ranks: tens of MB) */
  readonly size: number;
  /** longest a single count may run on a worker (unless a call says otherwise) */
  readonly deadlineMs: number;
  /** counts that may wait for a free worker */
  readonly maxQueued: number;
}

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'result'; id: number; tokens: number }
  | { type: 'failed'; id: number; message: string };

interface Job {
  readonly id: number;
  readonly messages: readonly ChatMessageLike[];
  readonly deadlineMs: number;
  readonly resolve: (tokens: number) => void;
  readonly reject: (err: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  job: (Job & { timer: NodeJS.Timeout }) | undefined;
  retired: boolean;
}

const WORKER_ENTRY = new URL('./count-worker.mjs', import.meta.url);

export class TokenCountPool {
  private readonly idle: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly slots = new Set<Slot>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: TokenCountPoolOptions) {
    for (let i = 0; i < opts.size; i++) this.spawn();
  }

  /** Counts a chat's tokens; `deadlineMs` overrides the pool's deadline for this call. */
  count(messages: readonly ChatMessageLike[], deadlineMs = this.opts.deadlineMs): Promise<number> {
    if (this.closed) return Promise.reject(new Error('token count pool is closed'));
    if (this.queue.length >= this.opts.maxQueued) return Promise.reject(new TokenCountBusyError());
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, messages, deadlineMs, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('token count pool is closed'));
    await Promise.all([...this.slots].map((slot) => this.retire(slot)));
  }

  private spawn(): void {
    if (this.closed) return;
    const slot: Slot = { worker: new Worker(WORKER_ENTRY), job: undefined, retired: false };
    this.slots.add(slot);
    slot.worker.on('message', (msg: WorkerMessage) => {
      if (msg.type !== 'ready') {
        const job = slot.job;
        if (!job || job.id !== msg.id) return;
        clearTimeout(job.timer);
        slot.job = undefined;
        if (msg.type === 'result') job.resolve(msg.tokens);
        else job.reject(new Error(`token counting failed: ${msg.message}`));
      }
      this.idle.push(slot);
      this.dispatch();
    });
    // a crashed worker fails its job and is replaced, like one that overran
    slot.worker.on('error', (err) => this.replace(slot, err));
    slot.worker.on('exit', () => this.replace(slot, new Error('token counting worker exited')));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const slot = this.idle.shift()!;
      if (slot.retired) continue;
      const job = this.queue.shift()!;
      const timer = setTimeout(
        () => this.replace(slot, new TokenCountTimeoutError(job.deadlineMs)),
        job.deadlineMs,
      );
      slot.job = { ...job, timer };
      slot.worker.postMessage({ id: job.id, messages: job.messages });
    }
  }

  /** Fails the slot's job (if any), stops its worker and starts a fresh one. */
  private replace(slot: Slot, err: Error): void {
    if (slot.retired) return;
    const job = slot.job;
    slot.job = undefined;
    if (job) {
      clearTimeout(job.timer);
      job.reject(err);
    }
    void this.retire(slot);
    this.spawn();
  }

  private async retire(slot: Slot): Promise<void> {
    slot.retired = true;
    this.slots.delete(slot);
    const at = this.idle.indexOf(slot);
    if (at >= 0) this.idle.splice(at, 1);
    if (slot.job) {
      clearTimeout(slot.job.timer);
      slot.job.reject(new Error('token count pool is closed'));
      slot.job = undefined;
    }
    await slot.worker.terminate();
  }
}
