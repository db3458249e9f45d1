/**
 * Group commit: the reserves and posts of one tenant that arrive within one turn of the event loop
 * go to Redis as one call (batch.lua), up to MAX_BATCH at a time.
 *
 * Why: under load most of a ledger operation's cost on Redis is per call (the function call, the
 * account read, the due-hold check), not its few writes; concurrent requests of a tenant share those.
 * Each operation still runs exactly as its own call would, with its own checks and its own answer
 * (batch.lua), and no other command runs between them, so no invariant moves: a hold is still taken
 * only if the budget covers it at that moment, in arrival order (test/integration/ledger-batch.test.ts
 * checks random sequences against the same calls made one at a time).
 *
 * All operations of a batch run at the clock reading taken when it is sent (its `now` and budget
 * period), which is when Redis runs them anyway. Off when writes must be confirmed by replicas
 * (durability): each write then goes with its own WAIT (durability.ts).
 */
import type { Cluster, Redis } from 'ioredis';
import { callLedger } from './ledger-functions';
import { scriptKeys } from './keys';

type RedisLike = Redis | Cluster;

/**
 * the most operations one call carries (batch.lua accepts up to 256). A tenant's queue that reaches
 * it goes at once, without waiting for the end of the turn, so Redis runs one batch while this
 * process queues the next: with one batch per turn the two would take turns being idle.
 */
export const MAX_BATCH = 16;

/** R: a reserve (requestId amount expiresAt tokens attempt apiKeyId); P: a post (requestId actual record actualTokens) */
export type BatchedKind = 'R' | 'P';

interface Queued {
  readonly kind: BatchedKind;
  readonly args: readonly string[];
  readonly resolve: (reply: unknown) => void;
  readonly reject: (err: unknown) => void;
}

export class GroupCommit {
  private queues = new Map<string, Queued[]>();
  private scheduled = false;

  constructor(
    private readonly redis: RedisLike,
    /** the clock reading and budget period a batch runs at */
    private readonly now: () => { now: number; period: string },
  ) {}

  /** Queue one operation of `tenantId`; its script answer, when its batch has run. */
  submit(tenantId: string, kind: BatchedKind, args: readonly string[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let queue = this.queues.get(tenantId);
      if (!queue) this.queues.set(tenantId, (queue = []));
      queue.push({ kind, args, resolve, reject });
      if (queue.length >= MAX_BATCH) {
        this.queues.delete(tenantId);
        const { now, period } = this.now();
        void this.send(tenantId, queue, now, period);
        return;
      }
      if (!this.scheduled) {
        this.scheduled = true;
        // after this turn's callbacks: the replies of the last batch arrive together, and the
        // operations their requests make next should share the next one
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const queues = this.queues;
    this.queues = new Map();
    const { now, period } = this.now();
    for (const [tenantId, queue] of queues) {
      for (let i = 0; i < queue.length; i += MAX_BATCH) {
        void this.send(tenantId, queue.slice(i, i + MAX_BATCH), now, period);
      }
    }
  }

  private async send(tenantId: string, ops: readonly Queued[], now: number, period: string): Promise<void> {
    const args = [String(now), period, String(ops.length)];
    for (const op of ops) args.push(op.kind, ...op.args);
    let replies: unknown;
    try {
      // straight to the connection: the batch is the pipelining (ledger-functions.ts)
      replies = await callLedger(this.redis, 'batch', scriptKeys(tenantId), args, true);
    } catch (err) {
      for (const op of ops) op.reject(err);
      return;
    }
    if (!Array.isArray(replies) || replies.length !== ops.length) {
      const err = new Error(`the ledger batch answered ${String(replies).slice(0, 80)}`);
      for (const op of ops) op.reject(err);
      return;
    }
    ops.forEach((op, i) => op.resolve(replies[i]));
  }
}
