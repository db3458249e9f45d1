import type { PolicyForm, PolicyFormErrors } from './policy-form';

/** The editable fields of the routing policy, each with its label and its own error message. */
export function PolicyFields({
  form,
  errors,
  onChange,
}: {
  form: PolicyForm;
  errors: PolicyFormErrors;
  onChange: (next: PolicyForm) => void;
}) {
  const set = (key: keyof PolicyForm) => (e: { target: { value: string } }) =>
    onChange({ ...form, [key]: e.target.value });
  const field = (key: keyof PolicyForm, label: string, hint?: string) => (
    <div className="field">
      <label htmlFor={`policy-${key}`}>{label}</label>
      <input
        id={`policy-${key}`}
        name={key}
        inputMode="decimal"
        value={form[key]}
        onChange={set(key)}
        aria-invalid={errors[key] ? true : undefined}
        aria-describedby={errors[key] ? `policy-${key}-error` : hint ? `policy-${key}-hint` : undefined}
      />
      {hint && !errors[key] ? (
        <small id={`policy-${key}-hint`} className="admin-hint">
          {hint}
        </small>
      ) : null}
      {errors[key] ? (
        <p id={`policy-${key}-error`} className="field-error">
          {errors[key]}
        </p>
      ) : null}
    </div>
  );
  return (
    <div className="stack">
      <fieldset className="admin-fieldset">
        <legend>Weights (lower score wins; each 0–100)</legend>
        <div className="admin-fields">
          {field('latency', 'Latency weight')}
          {field('load', 'Load weight')}
          {field('price', 'Price weight')}
        </div>
      </fieldset>
      <fieldset className="admin-fieldset">
        <legend>Home operator preference and failover</legend>
        <div className="admin-fields">
          <div className="field">
            <label htmlFor="policy-preferHome">Prefer home sites</label>
            <select
              id="policy-preferHome"
              name="preferHome"
              value={form.preferHome}
              onChange={set('preferHome')}
            >
              <option value="off">off</option>
              <option value="always">always (home sites rank first)</option>
              <option value="margin">within a latency margin</option>
            </select>
          </div>
          {field('marginMs', 'Home margin (ms)', 'used when preference is “within a margin”')}
          {field('maxFailoverAttempts', 'Failover attempts')}
          {field('holdTtlSeconds', 'Hold lifetime (s)')}
        </div>
      </fieldset>
      <div className="field">
        <label htmlFor="policy-overrides">Per-tenant overrides (JSON)</label>
        <textarea
          id="policy-overrides"
          name="overrides"
          rows={6}
          spellCheck={false}
          value={form.overrides}
          onChange={set('overrides')}
          aria-invalid={errors.overrides ? true : undefined}
          aria-describedby="policy-overrides-hint"
        />
        <small id="policy-overrides-hint" className="admin-hint">
          Keyed by tenant id: weights, preferHome, maxFailoverAttempts, excludedSites.
        </small>
        {errors.overrides ? <p className="field-error">{errors.overrides}</p> : null}
      </div>
    </div>
  );
}
