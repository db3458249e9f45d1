// The workflows a control worker runs, in one module for Temporal's bundler.
export { requestWorkflow } from './request.workflow';
export { settlementWorkflow } from './settlement.workflow';
export { servedRequestWorkflow } from './served/served-request.workflow';
