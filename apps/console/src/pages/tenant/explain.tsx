import { useState, type FormEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { ErrorBanner } from '../../ui/error-banner';
import { PageTitle, Section } from '../../ui/parts';
import { parseJurisdictions } from './key-form';
import { useTenantModels } from './models';
import { RoutePlan } from './route-plan';
import './tenant.css';

interface Asked {
  readonly model: string;
  readonly residency?: string[];
}

/** routing.explain: where a request for a model would go now, and why the other sites would not. */
export default function TenantExplain() {
  const models = useTenantModels();
  const [model, setModel] = useState('');
  const [residency, setResidency] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const [asked, setAsked] = useState<Asked | null>(null);
  const chosenModel = model || models.data?.[0]?.id || '';

  const plan = useQuery({
    queryKey: ['routing.explain', asked],
    queryFn: ({ signal }) => api.routing.explain.query(asked!, { signal }),
    enabled: asked !== null,
    retry: false,
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!chosenModel) {
      setProblem('choose a model');
      return;
    }
    let narrowed: string[] | undefined;
    if (residency.trim()) {
      narrowed = parseJurisdictions(residency);
      if (!narrowed) {
        setProblem('residency: country codes (FR) or group names (EU), separated by commas');
        return;
      }
    }
    setProblem(undefined);
    setAsked({ model: chosenModel, ...(narrowed ? { residency: narrowed } : {}) });
  };

  return (
    <>
      <PageTitle lead="A dry run of routing: where a request would be served right now, and why other sites would not. Nothing is held or sent to a site.">
        Routing dry run
      </PageTitle>
      <Section title="Ask">
        {models.error ? <ErrorBanner error={models.error} title="Your models could not be read" /> : null}
        <form onSubmit={submit} className="tenant-form-row" aria-label="Routing dry run">
          <div className="field">
            <label htmlFor="explain-model">Model</label>
            <select id="explain-model" value={chosenModel} onChange={(e) => setModel(e.target.value)}>
              {(models.data ?? []).map((m) => (
                <option key={m.id} value={m.id}>
                  {m.id}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="explain-residency">Residency (optional)</label>
            <input
              id="explain-residency"
              value={residency}
              placeholder="e.g. FR, DE"
              autoComplete="off"
              onChange={(e) => setResidency(e.target.value)}
              aria-invalid={problem ? true : undefined}
              aria-describedby={problem ? 'explain-problem' : undefined}
            />
          </div>
          <button type="submit" className="primary">
            Explain
          </button>
        </form>
        {problem ? (
          <p id="explain-problem" className="field-error" role="alert">
            {problem}
          </p>
        ) : null}
      </Section>
      {asked ? (
        <Section title="Route">
          {plan.error ? <ErrorBanner error={plan.error} title="Routing refused" /> : null}
          {plan.isPending ? <p aria-busy="true">Asking…</p> : null}
          {plan.data ? <RoutePlan plan={plan.data} /> : null}
        </Section>
      ) : null}
    </>
  );
}
