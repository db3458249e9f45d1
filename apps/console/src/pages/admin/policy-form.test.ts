import { describe, expect, it } from 'vitest';
import { formFromPolicy, policyFromForm, type Policy } from './policy-form';

const policy: Policy = {
  version: 3,
  weights: { latency: 0.6, load: 0.2, price: 0.2 },
  preferHome: { mode: 'margin', marginMs: 15 },
  maxFailoverAttempts: 3,
  holdTtlMs: 600_000,
  tenantOverrides: { 'acme-eu': { excludedSites: ['par-1'] } },
};

describe('the policy form', () => {
  it('round-trips a policy (without its version, which the registry assigns)', () => {
    const { version: _version, ...input } = policy;
    expect(policyFromForm(formFromPolicy(policy))).toEqual({ ok: true, policy: input });
  });

  it('names each bad field', () => {
    const r = policyFromForm({
      ...formFromPolicy(policy),
      latency: 'fast',
      marginMs: '-1',
      maxFailoverAttempts: '2.5',
      holdTtlSeconds: '0',
      overrides: '{nope',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.errors).sort()).toEqual(
      ['holdTtlSeconds', 'latency', 'marginMs', 'maxFailoverAttempts', 'overrides'].sort(),
    );
    expect(r.errors.overrides).toMatch(/^not JSON/);
  });

  it('refuses all-zero weights and overrides that are not an object', () => {
    const zero = policyFromForm({ ...formFromPolicy(policy), latency: '0', load: '0', price: '0' });
    expect(zero).toEqual({ ok: false, errors: { price: 'at least one weight must be positive' } });
    const list = policyFromForm({ ...formFromPolicy(policy), overrides: '[]' });
    expect(list.ok).toBe(false);
  });

  it('takes empty overrides as none', () => {
    const r = policyFromForm({ ...formFromPolicy(policy), overrides: '  ' });
    expect(r.ok && r.policy.tenantOverrides).toEqual({});
  });
});
