import { useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { ErrorBanner } from '../../ui/error-banner';
import { Section } from '../../ui/parts';
import { TextField } from './text-field';
import {
  EMPTY_TENANT,
  formFromTenant,
  tenantFromForm,
  type FormErrors,
  type Tenant,
  type TenantForm,
} from './tenant-form';

/** Create a tenant, or replace one (residency, region, home operator, budget…). */
export function TenantEditor({
  tenant,
  onSaved,
}: {
  tenant: Tenant | undefined;
  onSaved: (id: string) => void;
}) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState<TenantForm>(() => (tenant ? formFromTenant(tenant) : EMPTY_TENANT));
  const [errors, setErrors] = useState<FormErrors<TenantForm>>({});
  const upsert = useMutation({
    mutationFn: (input: Parameters<typeof api.tenants.upsert.mutate>[0]) => api.tenants.upsert.mutate(input),
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: ['tenants.list'] });
      await queryClient.invalidateQueries({ queryKey: ['budgets.get', { tenantId: saved.id }] });
      onSaved(saved.id);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = tenantFromForm(form);
    setErrors(parsed.ok ? {} : parsed.errors);
    if (parsed.ok) upsert.mutate(parsed.value);
  };
  const field = (key: keyof TenantForm, label: string, hint?: string) => (
    <TextField
      id={`tenant-${key}`}
      label={label}
      value={form[key]}
      onChange={(v) => setForm({ ...form, [key]: v })}
      error={errors[key]}
      {...(hint ? { hint } : {})}
      {...(key === 'id' && tenant ? { disabled: true } : {})}
    />
  );
  return (
    <Section title={tenant ? `Edit tenant ${tenant.id}` : 'New tenant'} id="tenant-editor">
      <form onSubmit={submit} noValidate>
        <div className="admin-form-grid">
          {field('id', 'Tenant id')}
          {field('name', 'Name')}
          {field('homeOperator', 'Home operator')}
          {field('residency', 'Residency', 'countries or groups: FR, EU, NORDICS')}
          {field('budget', 'Initial budget', "a new tenant's; change budgets above")}
          <div className="field">
            <label htmlFor="tenant-budgetMode">Budget mode</label>
            <select
              id="tenant-budgetMode"
              value={form.budgetMode}
              onChange={(e) => setForm({ ...form, budgetMode: e.target.value as TenantForm['budgetMode'] })}
            >
              <option value="period">per period</option>
              <option value="prepaid">prepaid</option>
            </select>
          </div>
          {field('tokensPerMinute', 'Tokens per minute', '0 = no limit')}
          {field('region', 'Region')}
          {field('lat', 'Latitude')}
          {field('lon', 'Longitude')}
          {field('class', 'Class')}
        </div>
        <div className="row admin-compare">
          <button type="submit" className="primary" disabled={upsert.isPending}>
            {tenant ? 'Save tenant' : 'Create tenant'}
          </button>
        </div>
        {upsert.isSuccess ? (
          <p className="notice" role="status">
            Saved tenant {upsert.data.id}.
          </p>
        ) : null}
        {upsert.error ? <ErrorBanner error={upsert.error} title="Tenant not saved" /> : null}
      </form>
    </Section>
  );
}
