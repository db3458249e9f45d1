/**
 * The routing policy editor's form: text fields as typed, turned into a candidate policy (the API's
 * `routingPolicyInputSchema` shape) or a message per field. The API validates again; this only
 * keeps obviously wrong input from being sent and says what is wrong next to the field.
 */
import type { RouterInputs, RouterOutputs } from '../../api/client';

export type Policy = RouterOutputs['policy']['get'];
export type PolicyInput = RouterInputs['policy']['set'];

export interface PolicyForm {
  readonly latency: string;
  readonly load: string;
  readonly price: string;
  readonly preferHome: 'off' | 'always' | 'margin';
  readonly marginMs: string;
  readonly maxFailoverAttempts: string;
  readonly holdTtlSeconds: string;
  /** per-tenant overrides as JSON text (an object keyed by tenant id) */
  readonly overrides: string;
}

export type PolicyFormErrors = Partial<Record<keyof PolicyForm, string>>;

export function formFromPolicy(p: Policy): PolicyForm {
  return {
    latency: String(p.weights.latency),
    load: String(p.weights.load),
    price: String(p.weights.price),
    preferHome: p.preferHome.mode,
    marginMs: String(p.preferHome.marginMs),
    maxFailoverAttempts: String(p.maxFailoverAttempts),
    holdTtlSeconds: String(p.holdTtlMs / 1000),
    overrides: JSON.stringify(p.tenantOverrides, null, 2),
  };
}

const number = (text: string): number | undefined => {
  const t = text.trim();
  if (t === '' || !/^-?\d*\.?\d+$/.test(t)) return undefined;
  return Number(t);
};

export function policyFromForm(
  f: PolicyForm,
): { ok: true; policy: PolicyInput } | { ok: false; errors: PolicyFormErrors } {
  const errors: PolicyFormErrors = {};
  const weight = (key: 'latency' | 'load' | 'price') => {
    const n = number(f[key]);
    if (n === undefined || n < 0 || n > 100) errors[key] = 'a number from 0 to 100';
    return n ?? 0;
  };
  const weights = { latency: weight('latency'), load: weight('load'), price: weight('price') };
  if (!errors.latency && !errors.load && !errors.price && weights.latency + weights.load + weights.price <= 0)
    errors.price = 'at least one weight must be positive';

  const marginMs = number(f.marginMs);
  if (marginMs === undefined || marginMs < 0 || marginMs > 10_000) errors.marginMs = '0 to 10000 ms';

  const attempts = number(f.maxFailoverAttempts);
  if (attempts === undefined || !Number.isInteger(attempts) || attempts < 1 || attempts > 10)
    errors.maxFailoverAttempts = 'a whole number from 1 to 10';

  const ttl = number(f.holdTtlSeconds);
  if (ttl === undefined || !Number.isInteger(ttl) || ttl < 1 || ttl > 24 * 3600)
    errors.holdTtlSeconds = 'whole seconds from 1 to 86400';

  let tenantOverrides: unknown = {};
  try {
    tenantOverrides = f.overrides.trim() === '' ? {} : JSON.parse(f.overrides);
    if (typeof tenantOverrides !== 'object' || tenantOverrides === null || Array.isArray(tenantOverrides))
      errors.overrides = 'an object keyed by tenant id, e.g. {"acme-eu": {"excludedSites": ["par-1"]}}';
  } catch (err) {
    errors.overrides = `not JSON: ${(err as Error).message}`;
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    policy: {
      weights,
      preferHome: { mode: f.preferHome, marginMs: marginMs! },
      maxFailoverAttempts: attempts!,
      holdTtlMs: ttl! * 1000,
      tenantOverrides: tenantOverrides as PolicyInput['tenantOverrides'],
    },
  };
}
