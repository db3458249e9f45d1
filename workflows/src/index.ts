// The workflow itself is not exported here: workers load it by path into Temporal's sandbox.
export * from './agent-liveness';
export * from './control.activities';
export * from './dispatch-timeout';
export * from './failures';
export * from './health';
export * from './metering';
export * from './observations';
export * from './route-context';
export * from './route-observer';
export * from './site.activities';
export * from './site-http';
export * from './task-queues';
export * from './types';
export * from './served/agent-protocol';
export * from './served/handoff';
export * from './served/served.activities';
export * from './served/types';
export * from './served/reconcile-input';
export * from './served/signals';

export * from './settlement.activities';
export type { SettlementRunInput } from './settlement.workflow';

/** Every workflow of the control worker, for Temporal's bundler. */
export const WORKFLOWS_URL = new URL('./all.workflows.ts', import.meta.url);
