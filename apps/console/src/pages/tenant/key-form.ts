/**
 * The API-key form's fields, checked before anything is sent: each problem is named next to its
 * field. The API checks everything again (and knows more: the tenant's residency, the models).
 */
import { parseMoney } from '../../ui/money';

export interface KeyFormFields {
  readonly name: string;
  /** comma- or space-separated country codes or groups; empty: the tenant's whole residency */
  readonly residency: string;
  /** ticked models; empty: every model the tenant may use */
  readonly models: readonly string[];
  /** money in units ("12.50"); empty: no key budget */
  readonly budget: string;
  readonly tokensPerMinute: string;
  /** a datetime-local value (the browser's local time); empty: never expires */
  readonly expiresAt: string;
}

/** What keys.create takes (its zod schema in apps/api/src/routers/keys.ts). */
export interface KeyCreateRequest {
  name: string;
  residency?: string[];
  models?: string[];
  budget?: number;
  tokensPerMinute?: number;
  expiresAt?: string;
}

export type KeyFormProblems = Partial<Record<keyof KeyFormFields, string>>;

export const EMPTY_KEY_FORM: KeyFormFields = {
  name: '',
  residency: '',
  models: [],
  budget: '',
  tokensPerMinute: '',
  expiresAt: '',
};

/** "fr, DE  EU" → ['FR', 'DE', 'EU']; undefined when an entry is not a code or group name. */
export function parseJurisdictions(text: string): string[] | undefined {
  const entries = text
    .split(/[\s,]+/)
    .map((e) => e.trim().toUpperCase())
    .filter(Boolean);
  if (!entries.every((e) => /^[A-Z][A-Z0-9_-]{1,31}$/.test(e))) return undefined;
  return [...new Set(entries)];
}

export function checkKeyForm(
  f: KeyFormFields,
  nowMs: number,
): { request: KeyCreateRequest } | { problems: KeyFormProblems } {
  const problems: KeyFormProblems = {};
  const request: KeyCreateRequest = { name: f.name.trim() };
  if (request.name.length === 0) problems.name = 'give the key a name';
  else if (request.name.length > 64) problems.name = 'at most 64 characters';

  if (f.residency.trim()) {
    const residency = parseJurisdictions(f.residency);
    if (!residency) problems.residency = 'country codes (FR) or group names (EU), separated by commas';
    else request.residency = residency;
  }
  if (f.models.length > 0) request.models = [...f.models];

  if (f.budget.trim()) {
    const budget = parseMoney(f.budget);
    if (budget === undefined) problems.budget = 'an amount like 12.50 (up to 6 decimals)';
    else request.budget = budget;
  }
  if (f.tokensPerMinute.trim()) {
    const tpm = Number(f.tokensPerMinute.trim());
    if (!/^\d+$/.test(f.tokensPerMinute.trim()) || tpm < 1 || tpm > 1_000_000_000)
      problems.tokensPerMinute = 'a whole number from 1 to 1,000,000,000';
    else request.tokensPerMinute = tpm;
  }
  if (f.expiresAt.trim()) {
    const at = new Date(f.expiresAt).getTime();
    if (Number.isNaN(at)) problems.expiresAt = 'a date and time';
    else if (at <= nowMs) problems.expiresAt = 'must be in the future';
    else request.expiresAt = new Date(at).toISOString();
  }
  return Object.keys(problems).length > 0 ? { problems } : { request };
}
