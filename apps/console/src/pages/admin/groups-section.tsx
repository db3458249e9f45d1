import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { ErrorBanner } from '../../ui/error-banner';
import { Loaded, Section, TableScroll } from '../../ui/parts';
import { TextField } from './text-field';
import { groupFromForm } from './tenant-form';

/** Jurisdiction groups (built-in EU, EEA, ANY and the federation's own), and defining one. */
export function GroupsSection() {
  const queryClient = useQueryClient();
  const groups = useQuery({
    queryKey: ['groups.list'],
    queryFn: ({ signal }) => api.groups.list.query(undefined, { signal }),
  });
  const [name, setName] = useState('');
  const [countries, setCountries] = useState('');
  const [errors, setErrors] = useState<{ name?: string; countries?: string }>({});
  const set = useMutation({
    mutationFn: (input: Parameters<typeof api.groups.set.mutate>[0]) => api.groups.set.mutate(input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['groups.list'] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = groupFromForm(name.trim(), countries);
    setErrors(parsed.ok ? {} : parsed.errors);
    if (parsed.ok) set.mutate(parsed.value);
  };
  return (
    <Section title="Jurisdiction groups" id="groups">
      <Loaded query={groups}>
        {(g) => (
          <TableScroll label="Jurisdiction groups">
            <table>
              <thead>
                <tr>
                  <th scope="col">Group</th>
                  <th scope="col">Countries</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(g)
                  .sort(([a], [b]) => a.localeCompare(b))
                  .map(([group, list]) => (
                    <tr key={group}>
                      <th scope="row">{group}</th>
                      <td className="admin-wrap">{group === 'ANY' ? 'any country' : list.join(', ')}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </Loaded>
      <form onSubmit={submit} noValidate className="admin-compare">
        <div className="admin-form-grid">
          <TextField id="group-name" label="Group name" value={name} onChange={setName} error={errors.name} />
          <TextField
            id="group-countries"
            label="Countries"
            value={countries}
            onChange={setCountries}
            error={errors.countries}
            hint="e.g. SE, NO, FI"
          />
        </div>
        <div className="row admin-compare">
          <button type="submit" disabled={set.isPending}>
            Set group
          </button>
        </div>
        {set.isSuccess ? (
          <p className="notice" role="status">
            Group {set.data.name} set.
          </p>
        ) : null}
        {set.error ? <ErrorBanner error={set.error} title="Group not set" /> : null}
      </form>
    </Section>
  );
}
