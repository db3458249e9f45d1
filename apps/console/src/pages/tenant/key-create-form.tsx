import { useId, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, type RouterOutputs } from '../../api/client';
import { ErrorBanner } from '../../ui/error-banner';
import { EMPTY_KEY_FORM, checkKeyForm, type KeyFormFields, type KeyFormProblems } from './key-form';
import type { TenantModel } from './models';

export type CreatedKey = RouterOutputs['keys']['create'];

/** Create a key with optional limits; the new key (with its one-time secret) goes to `onCreated`. */
export function KeyCreateForm({
  models,
  currency,
  onCreated,
}: {
  models: readonly TenantModel[];
  currency: string;
  onCreated: (key: CreatedKey) => void;
}) {
  const queryClient = useQueryClient();
  const [fields, setFields] = useState<KeyFormFields>(EMPTY_KEY_FORM);
  const [problems, setProblems] = useState<KeyFormProblems>({});
  const create = useMutation({
    mutationFn: (input: Parameters<typeof api.keys.create.mutate>[0]) => api.keys.create.mutate(input),
    onSuccess: (key) => {
      setFields(EMPTY_KEY_FORM);
      // the secret leaves the mutation's cache at once: the page holds it until the user hides it
      create.reset();
      onCreated(key);
      void queryClient.invalidateQueries({ queryKey: ['keys.list'] });
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const checked = checkKeyForm(fields, Date.now());
    if ('problems' in checked) {
      setProblems(checked.problems);
      return;
    }
    setProblems({});
    create.mutate(checked.request);
  };
  const set = (name: keyof KeyFormFields) => (value: string) => setFields((f) => ({ ...f, [name]: value }));
  const toggleModel = (id: string, on: boolean) =>
    setFields((f) => ({ ...f, models: on ? [...f.models, id] : f.models.filter((m) => m !== id) }));

  return (
    <form onSubmit={submit} className="stack" noValidate aria-label="Create an API key">
      <Field id="key-name" label="Name" value={fields.name} onChange={set('name')} problem={problems.name} />
      <Field
        id="key-residency"
        label="Residency (optional)"
        hint="Country codes or groups within your own residency, e.g. FR, DE or EU. Empty: all of yours."
        value={fields.residency}
        onChange={set('residency')}
        problem={problems.residency}
      />
      <fieldset className="key-models">
        <legend>Models (none ticked: every model you may use)</legend>
        {models.length === 0 ? <p>No model is available to you.</p> : null}
        {models.map((m) => (
          <label key={m.id} className="key-model">
            <input
              type="checkbox"
              checked={fields.models.includes(m.id)}
              onChange={(e) => toggleModel(m.id, e.target.checked)}
            />{' '}
            {m.id}
          </label>
        ))}
      </fieldset>
      <Field
        id="key-budget"
        label={`Budget per period in ${currency} (optional)`}
        inputMode="decimal"
        value={fields.budget}
        onChange={set('budget')}
        problem={problems.budget}
      />
      <Field
        id="key-tpm"
        label="Tokens per minute (optional)"
        inputMode="numeric"
        value={fields.tokensPerMinute}
        onChange={set('tokensPerMinute')}
        problem={problems.tokensPerMinute}
      />
      <Field
        id="key-expires"
        label="Expires (optional, your local time)"
        type="datetime-local"
        value={fields.expiresAt}
        onChange={set('expiresAt')}
        problem={problems.expiresAt}
      />
      <div className="row">
        <button type="submit" className="primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create key'}
        </button>
      </div>
      {create.error ? <ErrorBanner error={create.error} title="The key was not created" /> : null}
    </form>
  );
}

function Field({
  id,
  label,
  hint,
  value,
  onChange,
  problem,
  type = 'text',
  inputMode,
}: {
  id: string;
  label: string;
  hint?: string;
  value: string;
  onChange: (value: string) => void;
  problem: string | undefined;
  type?: string;
  inputMode?: 'decimal' | 'numeric';
}) {
  const hintId = useId();
  const problemId = useId();
  const describedBy = [hint ? hintId : '', problem ? problemId : ''].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <span id={hintId} className="key-hint">
          {hint}
        </span>
      ) : null}
      <input
        id={id}
        name={id}
        type={type}
        inputMode={inputMode}
        autoComplete="off"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={problem ? true : undefined}
        aria-describedby={describedBy || undefined}
      />
      {problem ? (
        <p id={problemId} className="field-error">
          {problem}
        </p>
      ) : null}
    </div>
  );
}
