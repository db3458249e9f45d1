import { describe, expect, it } from 'vitest';
import { reconcileInputOf } from './reconcile-input';
import type { Admitted, ServedRequestInput, UsageReport } from './types';

const input: ServedRequestInput = {
  tenantId: 't',
  requestId: 'r',
  model: 'm',
  kind: 'chat',
  inputTokens: 10,
  maxTokens: 64,
};
const plan: Admitted = {
  route: [{ siteId: 'par', operatorId: 'rhein', jurisdiction: 'FR' }],
  allowedJurisdictions: ['FR'],
  policyVersion: 1,
  maxAttempts: 1,
  holdAmount: 100,
  currency: 'EUR',
  grantTokens: 64,
  dispatchTimeoutMs: 60_000,
  reportGraceMs: 5_000,
};
const report: UsageReport = {
  siteId: 'par',
  siteInputTokens: 10,
  siteOutputTokens: 20,
  relayedTokens: 20,
  finishReason: 'stop',
  flags: [],
  failedAttempts: [],
  totalMs: 300,
  // an agent's own figure, however flattering: routing never takes it from a served request
  networkMs: 0,
};

describe('a served request’s post', () => {
  it('leaves the routing sample to the API, whichever side posts (API or workflow)', () => {
    expect(reconcileInputOf(input, plan, report).reconcile.latencySampledBy).toBe('api');
    // an agent that reported for a site outside the route (billed to the route's first site)
    const elsewhere = reconcileInputOf(input, plan, { ...report, siteId: 'tyo' });
    expect(elsewhere.reconcile.latencySampledBy).toBe('api');
  });
});
