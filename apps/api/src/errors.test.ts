import { ActivityFailure, ApplicationFailure, TimeoutFailure, WorkflowFailedError } from '@temporalio/client';
import { RetryState, TimeoutType } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { domainErrorOfWorkflow } from './errors';

const failed = (cause: Error) =>
  new WorkflowFailedError('Workflow execution failed', cause, RetryState.NON_RETRYABLE_FAILURE);

describe('domainErrorOfWorkflow', () => {
  it('finds the FederaError an activity raised, through the ActivityFailure', () => {
    const cause = new ActivityFailure(
      'activity failed',
      'reserveHold',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      undefined,
      ApplicationFailure.create({ type: 'BUDGET_EXCEEDED', message: 'no room', nonRetryable: true }),
    );
    expect(domainErrorOfWorkflow(failed(cause))).toMatchObject({
      code: 'BUDGET_EXCEEDED',
      message: 'no room',
    });
  });

  it('answers a step that ran out of time (a store failing over) with a retryable CONTROL_PLANE_UNAVAILABLE', () => {
    const timeout = new TimeoutFailure('Activity timed out', undefined, TimeoutType.SCHEDULE_TO_CLOSE);
    expect(domainErrorOfWorkflow(failed(timeout))).toMatchObject({ code: 'CONTROL_PLANE_UNAVAILABLE' });
  });

  it('leaves anything else (a bug) to the internal-error path', () => {
    expect(
      domainErrorOfWorkflow(failed(ApplicationFailure.create({ type: 'TypeError', message: 'x' }))),
    ).toBeNull();
    expect(domainErrorOfWorkflow(new Error('not a workflow failure'))).toBeNull();
  });
});
