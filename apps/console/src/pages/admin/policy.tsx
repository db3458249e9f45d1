import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { ErrorBanner } from '../../ui/error-banner';
import { Loaded, PageTitle, Section } from '../../ui/parts';
import { formFromPolicy, policyFromForm, type Policy, type PolicyForm } from './policy-form';
import { PolicyFields } from './policy-fields';
import { PolicyHistory } from './policy-history';
import { PolicyPreviewTable } from './policy-preview-table';
import { useDebounced } from './use-debounced';
import './admin.css';

/** The routing policy: edit it, see where each tenant would be routed before saving, and its history. */
export default function AdminPolicy() {
  const policy = useQuery({
    queryKey: ['policy.get'],
    queryFn: ({ signal }) => api.policy.get.query(undefined, { signal }),
  });
  const history = useQuery({
    queryKey: ['policy.history'],
    queryFn: ({ signal }) => api.policy.history.query(undefined, { signal }),
  });
  // kept here: saving re-mounts the editor on the new version
  const [savedVersion, setSavedVersion] = useState<number | undefined>();
  return (
    <>
      <PageTitle lead="Weights, home preference, failover and per-tenant overrides. The preview ranks each tenant's sites under your edit, exactly as routing would, before you save.">
        Routing policy
      </PageTitle>
      {savedVersion !== undefined ? (
        <p className="notice" role="status">
          Saved as version {savedVersion}. It applies to the next request.
        </p>
      ) : null}
      <Loaded query={policy}>
        {(p) => <PolicyEditor key={p.version} current={p} onSaved={setSavedVersion} />}
      </Loaded>
      <Section title="History">
        <Loaded query={history}>{(h) => <PolicyHistory history={h} />}</Loaded>
      </Section>
    </>
  );
}

function PolicyEditor({ current, onSaved }: { current: Policy; onSaved: (version: number) => void }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState<PolicyForm>(() => formFromPolicy(current));
  const [model, setModel] = useState<string | undefined>();
  const parsed = useMemo(() => policyFromForm(form), [form]);
  const candidate = useDebounced(parsed.ok ? parsed.policy : undefined, 300);

  const preview = useQuery({
    queryKey: ['policy.preview', { policy: candidate, model }],
    queryFn: ({ signal }) => api.policy.preview.query({ policy: candidate!, model }, { signal }),
    enabled: candidate !== undefined,
    placeholderData: keepPreviousData,
  });
  const save = useMutation({
    mutationFn: (input: Parameters<typeof api.policy.set.mutate>[0]) => api.policy.set.mutate(input),
    onSuccess: async (saved) => {
      onSaved(saved.version);
      await queryClient.invalidateQueries({ queryKey: ['policy.history'] });
      await queryClient.invalidateQueries({ queryKey: ['policy.preview'] });
      queryClient.setQueryData(['policy.get'], saved);
    },
  });
  useEffect(() => {
    if (preview.data && model === undefined) setModel(preview.data.model);
  }, [preview.data, model]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (parsed.ok) save.mutate(parsed.policy);
  };
  const errors = parsed.ok ? {} : parsed.errors;

  return (
    <>
      <Section title={`Edit (in force: version ${current.version})`} id="policy-edit">
        <form onSubmit={submit} className="stack" noValidate>
          <PolicyFields form={form} errors={errors} onChange={setForm} />
          <div className="row">
            <button type="submit" className="primary" disabled={!parsed.ok || save.isPending}>
              Save as a new version
            </button>
            <button type="button" onClick={() => setForm(formFromPolicy(current))}>
              Reset to version {current.version}
            </button>
          </div>
          {save.error ? <ErrorBanner error={save.error} title="Not saved" /> : null}
        </form>
      </Section>
      <Section title="Preview: sites each tenant would get" id="policy-preview">
        {preview.data ? (
          <div className="field">
            <label htmlFor="preview-model">Model</label>
            <select
              id="preview-model"
              value={model ?? preview.data.model}
              onChange={(e) => setModel(e.target.value)}
            >
              {preview.data.models.map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </div>
        ) : null}
        {!parsed.ok ? <p className="field-error">Fix the form to see the preview.</p> : null}
        {preview.error ? <ErrorBanner error={preview.error} title="Preview refused" /> : null}
        {preview.data ? (
          <div aria-busy={preview.isFetching || candidate !== (parsed.ok ? parsed.policy : undefined)}>
            <PolicyPreviewTable preview={preview.data} />
          </div>
        ) : preview.isFetching ? (
          <p aria-busy="true">Ranking…</p>
        ) : null}
      </Section>
    </>
  );
}
