/**
 * Back-pressure for request workflows: at most `maxInFlight` run at once from this API process, up
 * to `maxQueued` more wait their turn, and anything beyond is refused at once with OVERLOADED and a
 * retry hint. The Temporal dev server (and any cluster) degrades badly when flooded; queueing at the
 * edge keeps its latency flat and every refusal explicit.
 */
import { FederaError } from '@federa/domain';

export class Admission {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly maxInFlight: number,
    readonly maxQueued: number,
  ) {}

  get stats() {
    return { inFlight: this.inFlight, queued: this.waiting.length };
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.maxInFlight) {
      if (this.waiting.length >= this.maxQueued) {
        throw new FederaError('OVERLOADED', 'the federation is at capacity; retry shortly', {
          retryAfterMs: 1000,
        });
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.inFlight++;
    }
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      // hand the slot straight to the next waiter, or give it back
      if (next) next();
      else this.inFlight--;
    }
  }
}
