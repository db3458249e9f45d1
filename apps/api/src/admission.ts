/**
 * Back-pressure for request workflows: at most `maxInFlight` run at once from this API process;
 * others wait in a short queue, fair between tenants, and anything beyond is refused at once with
 * OVERLOADED and a retry hint. The Temporal dev server (and any cluster) degrades badly when
 * flooded; queueing at the edge keeps its latency flat and every refusal explicit.
 *
 * - fairness: each tenant has its own queue (capped at `maxQueuedPerTenant`), and a freed slot
 *   goes to the tenants in turn (round-robin), so one tenant's flood cannot starve another;
 * - deadline: a request that waited `maxWaitMs` is refused with OVERLOADED + Retry-After;
 * - memory: waiting requests hold at most `maxQueuedBytes` between them (the caller says what
 *   its request holds: its prompt and its sealed payload);
 * - disconnects: a request whose client has gone (its `signal` aborted) leaves the queue and is
 *   never run.
 */
import { FederaError } from '@federa/domain';

export interface AdmissionLimits {
  readonly maxInFlight: number;
  readonly maxQueued: number;
  readonly maxQueuedPerTenant: number;
  readonly maxQueuedBytes: number;
  readonly maxWaitMs: number;
}

/**
 * Limits a caller does not set: nearly as permissive as the old global queue, for embedders and
 * tests that size only the queue (a wait as long as a request workflow may run); the API's config
 * (config.ts) sets the production ones.
 */
const UNSET_LIMITS = { maxQueuedBytes: 256 * 1024 * 1024, maxWaitMs: 10 * 60_000 };

export interface AdmissionTicket {
  readonly tenantId: string;
  /** memory the waiting request holds */
  readonly bytes: number;
  /** aborts when the client disconnects */
  readonly signal?: AbortSignal;
}

/** The client left before its request was dispatched: nothing ran, nothing was charged. */
export class ClientGoneError extends Error {
  constructor() {
    super('the client disconnected before the request was dispatched');
    this.name = 'ClientGoneError';
  }
}

interface Waiter {
  readonly ticket: AdmissionTicket;
  admit(): void;
}

const RETRY_AFTER_MS = 1000;

function overloaded(why: string): FederaError {
  return new FederaError('OVERLOADED', `the federation is at capacity (${why}); retry shortly`, {
    retryAfterMs: RETRY_AFTER_MS,
  });
}

export class Admission {
  readonly limits: AdmissionLimits;
  private inFlight = 0;
  private queued = 0;
  private queuedBytes = 0;
  /** per-tenant queues; Map order is the round-robin order (a served tenant moves to the back) */
  private readonly queues = new Map<string, Waiter[]>();

  constructor(maxInFlight: number, maxQueued: number, limits: Partial<AdmissionLimits> = {}) {
    this.limits = { ...UNSET_LIMITS, maxQueuedPerTenant: maxQueued, ...limits, maxInFlight, maxQueued };
  }

  get stats() {
    return { inFlight: this.inFlight, queued: this.queued, queuedBytes: this.queuedBytes };
  }

  async run<T>(ticket: AdmissionTicket, fn: () => Promise<T>): Promise<T> {
    if (ticket.signal?.aborted) throw new ClientGoneError();
    if (this.inFlight < this.limits.maxInFlight && this.queued === 0) this.inFlight++;
    else await this.wait(ticket); // on admission the freed slot is handed over, inFlight unchanged
    try {
      return await fn();
    } finally {
      const next = this.nextWaiter();
      if (next) next.admit();
      else this.inFlight--;
    }
  }

  private wait(ticket: AdmissionTicket): Promise<void> {
    const own = this.queues.get(ticket.tenantId);
    if (this.queued >= this.limits.maxQueued) throw overloaded('queue full');
    if ((own?.length ?? 0) >= this.limits.maxQueuedPerTenant) throw overloaded("tenant's queue full");
    if (this.queuedBytes + ticket.bytes > this.limits.maxQueuedBytes) throw overloaded('queue memory full');
    return new Promise<void>((resolve, reject) => {
      const leave = (err: Error) => {
        if (!this.remove(waiter)) return;
        cleanup();
        reject(err);
      };
      const onAbort = () => leave(new ClientGoneError());
      const timer = setTimeout(() => leave(overloaded('waited too long')), this.limits.maxWaitMs);
      const cleanup = () => {
        clearTimeout(timer);
        ticket.signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        ticket,
        admit: () => {
          cleanup();
          resolve();
        },
      };
      ticket.signal?.addEventListener('abort', onAbort, { once: true });
      const list = this.queues.get(ticket.tenantId) ?? [];
      list.push(waiter);
      this.queues.set(ticket.tenantId, list);
      this.queued++;
      this.queuedBytes += ticket.bytes;
    });
  }

  /** The head of the next tenant's queue, round-robin; that tenant moves to the back. */
  private nextWaiter(): Waiter | undefined {
    for (const [tenantId, list] of this.queues) {
      const waiter = list.shift()!;
      this.queues.delete(tenantId);
      if (list.length > 0) this.queues.set(tenantId, list);
      this.forget(waiter);
      return waiter;
    }
    return undefined;
  }

  /** Takes a waiter out of its tenant's queue (false when it already left). */
  private remove(waiter: Waiter): boolean {
    const list = this.queues.get(waiter.ticket.tenantId);
    const at = list?.indexOf(waiter) ?? -1;
    if (!list || at < 0) return false;
    list.splice(at, 1);
    if (list.length === 0) this.queues.delete(waiter.ticket.tenantId);
    this.forget(waiter);
    return true;
  }

  private forget(waiter: Waiter): void {
    this.queued--;
    this.queuedBytes -= waiter.ticket.bytes;
  }
}
