import { describe, expect, it } from 'vitest';
import { EMPTY_TENANT, formFromTenant, groupFromForm, tenantFromForm, type Tenant } from './tenant-form';

const tenant: Tenant = {
  id: 'acme-eu',
  name: 'Acme EU',
  homeOperator: 'rhein',
  residency: ['EU', 'CH'],
  budget: 12_500_000,
  budgetMode: 'prepaid',
  tokensPerMinute: 1000,
  region: 'eu-west',
  location: { lat: 48.85, lon: 2.35 },
  class: 'enterprise',
};

describe('the tenant form', () => {
  it('round-trips a tenant, money in exact micro-units', () => {
    expect(formFromTenant(tenant).budget).toBe('12.5');
    expect(tenantFromForm(formFromTenant(tenant))).toEqual({ ok: true, value: tenant });
  });

  it('upper-cases residency and accepts commas or spaces', () => {
    const r = tenantFromForm({ ...formFromTenant(tenant), residency: 'fr,  de nordics' });
    expect(r.ok && r.value.residency).toEqual(['FR', 'DE', 'NORDICS']);
  });

  it('names every missing or bad field of an empty form', () => {
    const r = tenantFromForm({ ...EMPTY_TENANT, lat: '100' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.errors).sort()).toEqual(
      ['budget', 'homeOperator', 'id', 'lat', 'lon', 'name', 'region', 'residency'].sort(),
    );
  });

  it('refuses money with more than six decimals or a sign', () => {
    for (const budget of ['1.0000001', '-5', '1,5']) {
      const r = tenantFromForm({ ...formFromTenant(tenant), budget });
      expect(r.ok).toBe(false);
    }
  });
});

describe('the group form', () => {
  it('takes an upper-case name and country codes', () => {
    expect(groupFromForm('ALPS', 'ch, at li')).toEqual({
      ok: true,
      value: { name: 'ALPS', countries: ['CH', 'AT', 'LI'] },
    });
    const bad = groupFromForm('alps', 'Switzerland');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(Object.keys(bad.errors).sort()).toEqual(['countries', 'name']);
  });
});
