/**
 * Drives reserve → post pairs at a ledger the way the request workflow's activities do: each call
 * is retried until it is acknowledged (Temporal retries a failed activity; a stable refusal ends it),
 * so every request id ends posted exactly once if the ledger keeps its promise.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ERROR_CODES, FederaError } from '@federa/domain';
import type { Ledger } from '@federa/ledger';
import { sampleUsageRecord } from './usage-record';

export interface LoadOutcome {
  /** request ids whose post was acknowledged, in order */
  readonly acked: string[];
  /** failed calls that were retried, by what failed */
  readonly retriedBy: Record<string, number>;
  /** ms per acknowledged post (reserve not included) */
  readonly postMs: number[];
  /**
   * requests a stable refusal ended, by code: e.g. HOLD_NOT_FOUND when an acknowledged reserve was
   * lost in a failover (the request workflow would park such a post; the ledger audit lists it)
   */
  readonly refusedBy: Record<string, number>;
}

/** Retry `call` like an activity: any failure but a non-retryable FederaError, until the deadline. */
async function untilAcked<T>(
  call: () => Promise<T>,
  retried: Record<string, number>,
  deadline: number,
): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (err instanceof FederaError && !ERROR_CODES[err.code].retryable) throw err;
      const what =
        err instanceof FederaError ? err.code : (err as Error).message.split(/[\s:]/)[0] || 'error';
      retried[what] = (retried[what] ?? 0) + 1;
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

export const CHARGE = 7;

/**
 * `total` requests over `concurrency` loops; `onAcked(n)` after each acknowledged post (e.g. to
 * kill a node mid-stream).
 */
export async function postConcurrently(o: {
  readonly ledger: Ledger;
  readonly tenantId: string;
  readonly total: number;
  readonly concurrency: number;
  readonly prefix: string;
  readonly onAcked?: (n: number) => void;
  readonly deadlineMs?: number;
}): Promise<LoadOutcome> {
  const acked: string[] = [];
  const retriedBy: Record<string, number> = {};
  const postMs: number[] = [];
  const refusedBy: Record<string, number> = {};
  const deadline = Date.now() + (o.deadlineMs ?? 90_000);
  let next = 0;
  const loop = async () => {
    while (next < o.total) {
      const requestId = `${o.prefix}-${next++}`;
      await untilAcked(
        () =>
          o.ledger.reserve({
            tenantId: o.tenantId,
            requestId,
            amount: 10,
            expiresAt: Date.now() + 600_000,
            attempt: 'a1',
          }),
        retriedBy,
        deadline,
      );
      const t0 = performance.now();
      const posted = await untilAcked(
        () =>
          o.ledger.post({
            tenantId: o.tenantId,
            requestId,
            actual: CHARGE,
            record: sampleUsageRecord(o.tenantId, requestId, CHARGE),
          }),
        retriedBy,
        deadline,
      ).catch((err: unknown) => {
        if (!(err instanceof FederaError)) throw err;
        refusedBy[err.code] = (refusedBy[err.code] ?? 0) + 1;
        return null;
      });
      if (!posted) continue;
      postMs.push(performance.now() - t0);
      acked.push(requestId);
      o.onAcked?.(acked.length);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, loop));
  return { acked, retriedBy, postMs, refusedBy };
}

/** How the ledger's state on the (new) master compares with what was acknowledged. */
export async function checkPosted(ledger: Ledger, tenantId: string, acked: readonly string[]) {
  const recordsByRequest = new Map<string, number>();
  for await (const r of ledger.usageBetween(tenantId, 0, Date.now() + 3_600_000))
    recordsByRequest.set(r.requestId, (recordsByRequest.get(r.requestId) ?? 0) + 1);
  const holds = await Promise.all(acked.map((id) => ledger.hold(tenantId, id)));
  const account = await ledger.account(tenantId);
  const records = [...recordsByRequest.values()].reduce((a, b) => a + b, 0);
  return {
    /** acknowledged posts whose hold is not posted or whose record is missing on the new master */
    lost: acked.filter((id, i) => holds[i]?.state !== 'posted' || !recordsByRequest.has(id)).length,
    duplicated: [...recordsByRequest.values()].filter((n) => n > 1).length,
    records,
    account,
  };
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
