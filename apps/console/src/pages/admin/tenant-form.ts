/**
 * The tenant form (create or replace a tenant, `tenants.upsert`) and the budget forms: text as
 * typed, turned into the API's input or a message per field. Money is typed in units and sent as
 * integer micro-units (parseMoney).
 */
import type { RouterInputs, RouterOutputs } from '../../api/client';
import { parseMoney, unitsText } from '../../ui/money';

export type Tenant = RouterOutputs['tenants']['list'][number];
export type TenantInput = RouterInputs['tenants']['upsert'];

export interface TenantForm {
  readonly id: string;
  readonly name: string;
  readonly homeOperator: string;
  /** country codes and group names, separated by commas or spaces */
  readonly residency: string;
  readonly budget: string;
  readonly budgetMode: 'period' | 'prepaid';
  readonly tokensPerMinute: string;
  readonly region: string;
  readonly lat: string;
  readonly lon: string;
  readonly class: string;
}

export type FormErrors<F> = Partial<Record<keyof F, string>>;
export type Parsed<T, F> = { ok: true; value: T } | { ok: false; errors: FormErrors<F> };

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ID_HINT = 'lower-case letters, digits and dashes';

export const EMPTY_TENANT: TenantForm = {
  id: '',
  name: '',
  homeOperator: '',
  residency: '',
  budget: '',
  budgetMode: 'period',
  tokensPerMinute: '0',
  region: '',
  lat: '',
  lon: '',
  class: 'standard',
};

export function formFromTenant(t: Tenant): TenantForm {
  return {
    id: t.id,
    name: t.name,
    homeOperator: t.homeOperator,
    residency: t.residency.join(', '),
    budget: unitsText(t.budget),
    budgetMode: t.budgetMode,
    tokensPerMinute: String(t.tokensPerMinute),
    region: t.region,
    lat: String(t.location.lat),
    lon: String(t.location.lon),
    class: t.class,
  };
}

export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);
}

const decimal = (text: string) => (/^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text.trim()) : undefined);

export function wholeNumber(text: string): number | undefined {
  return /^\d{1,12}$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

export function tenantFromForm(f: TenantForm): Parsed<TenantInput, TenantForm> {
  const errors: FormErrors<TenantForm> = {};
  if (!ID.test(f.id)) errors.id = ID_HINT;
  if (!f.name.trim()) errors.name = 'required';
  if (!ID.test(f.homeOperator)) errors.homeOperator = `an operator id (${ID_HINT})`;
  const residency = splitList(f.residency).map((r) => r.toUpperCase());
  if (residency.length === 0) errors.residency = 'at least one country code or group, e.g. FR or EU';
  const budget = parseMoney(f.budget);
  if (budget === undefined) errors.budget = 'an amount such as 100 or 12.50';
  const tokensPerMinute = wholeNumber(f.tokensPerMinute);
  if (tokensPerMinute === undefined) errors.tokensPerMinute = 'a whole number (0 = no limit)';
  if (!f.region.trim()) errors.region = 'required, e.g. eu-west';
  const lat = decimal(f.lat);
  if (lat === undefined || lat < -90 || lat > 90) errors.lat = '-90 to 90';
  const lon = decimal(f.lon);
  if (lon === undefined || lon < -180 || lon > 180) errors.lon = '-180 to 180';
  if (!ID.test(f.class)) errors.class = ID_HINT;
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      id: f.id,
      name: f.name.trim(),
      homeOperator: f.homeOperator,
      residency,
      budget: budget!,
      budgetMode: f.budgetMode,
      tokensPerMinute: tokensPerMinute!,
      region: f.region.trim(),
      location: { lat: lat!, lon: lon! },
      class: f.class,
    },
  };
}

/** A custom jurisdiction group: an upper-case name and ISO country codes. */
export function groupFromForm(
  name: string,
  countries: string,
): Parsed<{ name: string; countries: string[] }, { name: string; countries: string }> {
  const errors: FormErrors<{ name: string; countries: string }> = {};
  if (!/^[A-Z][A-Z0-9_-]{1,31}$/.test(name)) errors.name = 'upper-case, like NORDICS';
  const list = splitList(countries).map((c) => c.toUpperCase());
  if (list.length === 0 || list.some((c) => !/^[A-Z]{2}$/.test(c)))
    errors.countries = 'two-letter country codes, e.g. SE, NO, FI';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { name, countries: list } };
}
