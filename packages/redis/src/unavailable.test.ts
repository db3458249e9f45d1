import { describe, expect, it } from 'vitest';
import { FederaError } from '@federa/domain';
import { storeUnavailableOr } from './unavailable';

describe('store unavailable', () => {
  it.each([
    'CLUSTERDOWN The cluster is down',
    'TRYAGAIN Multiple keys request during rehashing of slot',
    'LOADING Redis is loading the dataset in memory',
    'READONLY You cannot write against a read only replica.',
    'Connection is closed.',
    'connect ECONNREFUSED 198.18.0.1:7311',
    'Reached the max retries per request limit (which is 3). Refer to "maxRetriesPerRequest" option for details.',
    'None of startup nodes is available',
    'Failed to refresh slots cache.',
  ])('maps "%s" to a retryable STORE_UNAVAILABLE that says nothing of Redis', (message) => {
    const mapped = storeUnavailableOr(new Error(message));
    expect(mapped).toBeInstanceOf(FederaError);
    expect((mapped as FederaError).code).toBe('STORE_UNAVAILABLE');
    expect((mapped as FederaError).message).not.toContain('Redis');
  });

  it('leaves Federa errors and anything else (a bug, a full store) as they are', () => {
    const refusal = new FederaError('BUDGET_EXCEEDED', 'no');
    expect(storeUnavailableOr(refusal)).toBe(refusal);
    const oom = new Error("OOM command not allowed when used memory > 'maxmemory'.");
    expect(storeUnavailableOr(oom)).toBe(oom);
  });
});
