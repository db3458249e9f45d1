/**
 * Posting the usage of work a site already did never gives up. A failure the activity's retry
 * policy calls final (e.g. a rate card or hold missing) does not end the workflow either: the
 * workflow itself is the durable outbox. It stays open, logs the failure and tries again on a
 * durable timer (10 s doubling to 1 h), so once an operator repairs the cause the request is posted
 * exactly once (the post is idempotent by request id); `federa ledger audit` lists such requests as
 * open meanwhile. Workflow code: deterministic, shared by both request workflows.
 */
import { log, sleep } from '@temporalio/workflow';

/** Between rounds of a post that failed for a non-retryable reason. */
const PARKED_RETRY_MS = { first: 10_000, max: 3_600_000 };

export async function postUntilPosted<T>(requestId: string, post: () => Promise<T>): Promise<T> {
  for (let round = 0; ; round++) {
    try {
      return await post();
    } catch (err) {
      const waitMs = Math.min(PARKED_RETRY_MS.first * 2 ** Math.min(round, 10), PARKED_RETRY_MS.max);
      log.error('posting served work failed; parked, retrying', {
        requestId,
        round,
        waitMs,
        error: String(err),
      });
      await sleep(waitMs);
    }
  }
}
