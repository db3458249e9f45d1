/**
 * The rate card and FX forms: prices typed in units per 1M tokens and rates in units, sent as
 * integer micro-units; start times typed in UTC. Pure, so it is unit-tested; the API validates again.
 */
import type { RouterInputs } from '../../api/client';
import { parseMoney } from '../../ui/money';
import type { FormErrors, Parsed } from './tenant-form';

export type RateCardInput = RouterInputs['rateCards']['add'];
export type FxInput = RouterInputs['fx']['add'];

export interface RateCardForm {
  readonly operator: string;
  readonly model: string;
  readonly effectiveFrom: string;
  readonly retailIn: string;
  readonly retailOut: string;
  readonly wholesaleIn: string;
  readonly wholesaleOut: string;
}

export interface FxForm {
  readonly from: string;
  readonly to: string;
  readonly rate: string;
  readonly effectiveFrom: string;
}

/** "2026-12-01 08:00" or "2026-12-01T08:00:00Z" (UTC either way) as ISO; undefined if not a time. */
export function parseUtc(text: string): string | undefined {
  const m = /^\s*(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(?:\.\d{1,3})?)?Z?\s*$/.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}${m[3] ?? ':00'}Z`);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** The next full hour, UTC, as the forms show it: a start time that is not in the past. */
export function nextHourUtc(nowMs: number): string {
  const d = new Date(Math.floor(nowMs / 3_600_000) * 3_600_000 + 3_600_000);
  return d.toISOString().slice(0, 16).replace('T', ' ');
}

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const MODEL = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
const PRICE = 'an amount per 1M tokens, such as 0.12';

export function rateCardFromForm(f: RateCardForm): Parsed<RateCardInput, RateCardForm> {
  const errors: FormErrors<RateCardForm> = {};
  if (!ID.test(f.operator)) errors.operator = 'an operator id';
  if (!MODEL.test(f.model)) errors.model = 'a model id, e.g. llama-3.1-8b';
  const effectiveFrom = parseUtc(f.effectiveFrom);
  if (!effectiveFrom) errors.effectiveFrom = 'a UTC time such as 2026-12-01 08:00';
  const price = (key: 'retailIn' | 'retailOut' | 'wholesaleIn' | 'wholesaleOut') => {
    const v = parseMoney(f[key]);
    if (v === undefined) errors[key] = PRICE;
    return v ?? 0;
  };
  const retail = { inputPer1M: price('retailIn'), outputPer1M: price('retailOut') };
  const wholesale = { inputPer1M: price('wholesaleIn'), outputPer1M: price('wholesaleOut') };
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: { operator: f.operator, model: f.model, effectiveFrom: effectiveFrom!, retail, wholesale },
  };
}

export function fxFromForm(f: FxForm): Parsed<FxInput, FxForm> {
  const errors: FormErrors<FxForm> = {};
  const from = f.from.trim().toUpperCase();
  const to = f.to.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(from)) errors.from = 'a currency code, e.g. EUR';
  if (!/^[A-Z]{3}$/.test(to)) errors.to = 'a currency code, e.g. SEK';
  else if (to === from) errors.to = 'must differ from the first currency';
  const rateMicros = parseMoney(f.rate);
  if (rateMicros === undefined || rateMicros <= 0) errors.rate = 'a positive rate, up to 6 decimals';
  const effectiveFrom = parseUtc(f.effectiveFrom);
  if (!effectiveFrom) errors.effectiveFrom = 'a UTC time such as 2026-12-01 08:00';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { from, to, rateMicros: rateMicros!, effectiveFrom: effectiveFrom! } };
}
