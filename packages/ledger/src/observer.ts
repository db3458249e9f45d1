/**
 * What the ledger tells an observer about its own work (metrics, in the apps): each operation's
 * outcome and latency, and what a post charged beyond its hold. An interface of plain values, so
 * the ledger depends on no metrics library; an observer that throws never breaks the ledger.
 */
import { FederaError } from '@federa/domain';

export type LedgerOp = 'reserve' | 'extend' | 'post' | 'void' | 'sweep';

/**
 * ok: the operation changed the ledger; replay: a retry of one already done (idempotent by request
 * id, nothing changed); refused: a stable refusal (budget, rate, hold state); error: anything else
 */
export type LedgerResult = 'ok' | 'replay' | 'refused' | 'error';

export interface LedgerOperation {
  readonly op: LedgerOp;
  readonly result: LedgerResult;
  /** the stable refusal code (BUDGET_EXCEEDED, RATE_LIMITED, HOLD_NOT_FOUND, …) when refused */
  readonly code?: string | undefined;
  /** the Redis round trip, seconds */
  readonly seconds: number;
}

export interface LedgerPosted {
  /** the record's billed tokens, model and serving site */
  readonly usage: {
    readonly model: string;
    readonly siteId: string;
    readonly inputTokens: number;
    readonly outputTokens: number;
  };
  /** usage charged beyond what was held, minor units of `currency` (0 when it fitted) */
  readonly overage: number;
  readonly currency: string;
  /** the record's flags and the ledger's own (OVERAGE, LATE_POST), each once */
  readonly flags: readonly string[];
}

export interface LedgerObserver {
  operation(observed: LedgerOperation): void;
  /** once per usage record: a replayed post reports nothing here */
  posted(posted: LedgerPosted): void;
}

/** How an operation's failure counts: a domain refusal, or an error (Redis, a script fault). */
export function failureOf(err: unknown): { result: LedgerResult; code?: string } {
  if (err instanceof FederaError && err.code !== 'INTERNAL') return { result: 'refused', code: err.code };
  return { result: 'error' };
}

/** Calls the observer without letting it fail the ledger's operation. */
export function notify(observer: LedgerObserver | undefined, call: (o: LedgerObserver) => void): void {
  if (!observer) return;
  try {
    call(observer);
  } catch {
    // metrics are advisory: the ledger's answer stands whatever its observer does
  }
}

/** Runs one ledger operation, telling the observer (if any) how it went and how long it took. */
export async function observed<T>(
  observer: LedgerObserver | undefined,
  op: LedgerOp,
  work: () => Promise<T>,
  resultOf: (value: T) => LedgerResult,
): Promise<T> {
  if (!observer) return work();
  const started = performance.now();
  try {
    const value = await work();
    const seconds = (performance.now() - started) / 1000;
    notify(observer, (o) => o.operation({ op, result: resultOf(value), seconds }));
    return value;
  } catch (err) {
    const seconds = (performance.now() - started) / 1000;
    notify(observer, (o) => o.operation({ op, ...failureOf(err), seconds }));
    throw err;
  }
}
