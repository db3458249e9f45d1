/**
 * Request workflows reduced to their shape: the same Temporal commands, events and payload sizes as
 * the served-request workflow (workflows/src/served/), with local activities that do no work. What
 * they cost the Temporal server is what any request workflow of that shape costs it, whatever
 * Federa does inside the activities.
 */
import { condition, defineSignal, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type * as activities from './shapes.activities';

const { admit, settle } = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '5s' });

export const reportSignal = defineSignal<[string]>('usageReported');

/** Admission only: one eagerly started task, one local activity, done. */
export async function admitOnly(bytes: number): Promise<number> {
  return (await admit(bytes)).length;
}

/** Admit, wait for the report (no deadline), settle: two workflow tasks, no timer. */
export async function admitWaitSettle(bytes: number): Promise<number> {
  let report: string | undefined;
  setHandler(reportSignal, (r) => void (report ??= r));
  const admitted = await admit(bytes);
  await condition(() => report !== undefined);
  return (await settle(admitted.length + report!.length)).length;
}

/** The same with the served workflow's deadline on the wait: a timer started, then cancelled. */
export async function admitWaitSettleTimer(bytes: number): Promise<number> {
  let report: string | undefined;
  setHandler(reportSignal, (r) => void (report ??= r));
  const admitted = await admit(bytes);
  await condition(() => report !== undefined, 60_000);
  return (await settle(admitted.length + report!.length)).length;
}
