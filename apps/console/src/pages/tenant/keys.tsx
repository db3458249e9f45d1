import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { ErrorBanner } from '../../ui/error-banner';
import { Loaded, PageTitle, Section } from '../../ui/parts';
import { KeyCreateForm, type CreatedKey } from './key-create-form';
import { KeySecret } from './key-secret';
import { KeysTable } from './keys-table';
import { useTenantModels } from './models';
import './tenant.css';

/** API keys: create with limits (the secret shown once), list with spend, revoke. */
export default function TenantKeys() {
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const keys = useQuery({
    queryKey: ['keys.list'],
    queryFn: ({ signal }) => api.keys.list.query(undefined, { signal }),
  });
  const summary = useQuery({
    queryKey: ['usage.summary'],
    queryFn: ({ signal }) => api.usage.summary.query(undefined, { signal }),
  });
  const models = useTenantModels();
  const currency = summary.data?.currency ?? 'EUR';

  return (
    <>
      <PageTitle lead="Keys for your programs to call Federa's OpenAI-compatible API. Each can be narrowed to some jurisdictions and models, and capped in budget and tokens per minute.">
        API keys
      </PageTitle>
      {created ? <KeySecret created={created} onDone={() => setCreated(null)} /> : null}
      <Section title="Your keys">
        <Loaded query={keys}>{(k) => <KeysTable keys={k.keys} currency={currency} />}</Loaded>
      </Section>
      <Section title="Create a key">
        {summary.error ? <ErrorBanner error={summary.error} title="Your currency could not be read" /> : null}
        {models.error ? <ErrorBanner error={models.error} title="Your models could not be read" /> : null}
        <KeyCreateForm models={models.data ?? []} currency={currency} onCreated={setCreated} />
      </Section>
    </>
  );
}
