// The workflow itself is not exported here: workers load it by path into Temporal's sandbox.
export * from './control.activities';
export * from './failures';
export * from './health';
export * from './observations';
export * from './route-context';
export * from './site.activities';
export * from './task-queues';
export * from './types';

export const REQUEST_WORKFLOW_PATH = new URL('./request.workflow.ts', import.meta.url);
