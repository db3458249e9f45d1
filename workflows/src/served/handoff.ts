/**
 * The in-process hand-off between a request's control-plane workflow and the API request waiting on
 * it. The API starts the workflow eagerly, so its first workflow task (route + reserve, as local
 * activities) runs on the control worker inside the API process; the local activity hands the
 * admission straight to the waiting request, without another round trip to Temporal. After the
 * stream, the reconcile hands back the usage record the same way.
 *
 * A workflow task that runs elsewhere (eager start refused, a retried task, another API process)
 * finds nobody waiting here; the API then falls back to asking Temporal (query / result).
 */

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // a waiter that gave up (timeout, client gone) must not turn a late settlement into an unhandled rejection
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export interface HandoffWaiter<A, S> {
  readonly admitted: Promise<A>;
  readonly settled: Promise<S>;
}

interface Entry<A, S> {
  readonly admitted: Deferred<A>;
  readonly settled: Deferred<S>;
  /** callers that expect this id and have not forgotten it (a duplicate request id joins) */
  expecting: number;
}

export class RequestHandoff<A, S> {
  private readonly waiting = new Map<string, Entry<A, S>>();

  /**
   * Register interest before starting the workflow. A second caller under a live id (the same
   * request id sent twice at once: its start is refused) gets a waiter that is never handed
   * anything, and its `forget` leaves the first caller's hand-off in place.
   */
  expect(workflowId: string): HandoffWaiter<A, S> {
    const live = this.waiting.get(workflowId);
    if (live) {
      live.expecting += 1;
      return { admitted: deferred<A>().promise, settled: deferred<S>().promise };
    }
    const entry: Entry<A, S> = { admitted: deferred<A>(), settled: deferred<S>(), expecting: 1 };
    this.waiting.set(workflowId, entry);
    return { admitted: entry.admitted.promise, settled: entry.settled.promise };
  }

  admitted(workflowId: string, value: A): void {
    this.waiting.get(workflowId)?.admitted.resolve(value);
  }

  /** A refusal the workflow will not retry (e.g. no eligible site, budget). */
  refused(workflowId: string, err: unknown): void {
    const entry = this.waiting.get(workflowId);
    if (!entry) return;
    entry.admitted.reject(err);
    entry.settled.reject(err);
    this.waiting.delete(workflowId);
  }

  settled(workflowId: string, value: S): void {
    const entry = this.waiting.get(workflowId);
    if (!entry) return;
    entry.settled.resolve(value);
    this.waiting.delete(workflowId);
  }

  /** The waiter is done (or gave up): drop it once nobody expects the id, so the map never grows. */
  forget(workflowId: string): void {
    const entry = this.waiting.get(workflowId);
    if (!entry) return;
    entry.expecting -= 1;
    if (entry.expecting <= 0) this.waiting.delete(workflowId);
  }

  get size(): number {
    return this.waiting.size;
  }
}
