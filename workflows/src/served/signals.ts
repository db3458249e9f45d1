/** The served-request workflow's messages, shared by the workflow, the API and the site agents. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Admitted, DispatchAbandoned, GrantAnswer, GrantRequest, UsageReport } from './types';

/** the site agent's account of what it relayed (first one wins) */
export const usageReportedSignal = defineSignal<[UsageReport]>('usageReported');
/** the API gave up before any site produced a byte */
export const dispatchAbandonedSignal = defineSignal<[DispatchAbandoned]>('dispatchAbandoned');
/** the admission, for an API whose hand-off did not come (eager start refused, task retried) */
export const admissionQuery = defineQuery<Admitted | null>('admission');

/** the site agent asks for the next slice of the output grant before the current one runs out */
export const extendGrantUpdate = defineUpdate<GrantAnswer, [GrantRequest]>('extendGrant');

export const SERVED_WORKFLOW_TYPE = 'servedRequestWorkflow';
