/**
 * Fair admission for /v1 requests, as for tRPC's: a slot is held from dispatch until the answer is
 * written (for a stream: its last byte), and a client that left while queued is never dispatched.
 */
import type { ServerResponse } from 'node:http';
import { ClientGoneError } from '../admission';
import type { ServedDeps } from '../context';

/** The client left: nothing is written, and this is not a failure. */
export class ClientLeftError extends Error {
  constructor() {
    super('the client disconnected');
    this.name = 'ClientLeftError';
  }
}

/** Aborts when the client goes away before its answer was written whole. */
export function clientSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new ClientLeftError());
  });
  return controller.signal;
}

export async function runAdmitted<T>(
  deps: ServedDeps,
  ticket: { readonly tenantId: string; readonly bytes: number; readonly signal: AbortSignal },
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await deps.admission.run(ticket, fn);
  } catch (err) {
    if (err instanceof ClientGoneError || ticket.signal.aborted) throw new ClientLeftError();
    throw err;
  }
}

/**
 * The answer, or ClientLeftError as soon as the client goes away: nobody waits (holding an admission
 * slot) for an answer nobody will read. The data plane sees the same signal and winds down itself.
 */
export function untilClientLeaves<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new ClientLeftError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ClientLeftError());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: Error) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
