import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { ErrorBanner } from '../../ui/error-banner';
import { Loaded, Section, TableScroll, formatTime } from '../../ui/parts';
import { TextField } from './text-field';
import { fxFromForm, nextHourUtc, type FxForm } from './rates-form';
import { unitsText } from '../../ui/money';
import type { FormErrors } from './tenant-form';

/** Effective-dated exchange rates that convert statement lines into the settlement currency. */
export function FxSection() {
  const queryClient = useQueryClient();
  const rates = useQuery({
    queryKey: ['fx.list'],
    queryFn: ({ signal }) => api.fx.list.query(undefined, { signal }),
  });
  const [form, setForm] = useState<FxForm>(() => ({
    from: '',
    to: '',
    rate: '',
    effectiveFrom: nextHourUtc(Date.now()),
  }));
  const [errors, setErrors] = useState<FormErrors<FxForm>>({});
  const add = useMutation({
    mutationFn: (input: Parameters<typeof api.fx.add.mutate>[0]) => api.fx.add.mutate(input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['fx.list'] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = fxFromForm(form);
    setErrors(parsed.ok ? {} : parsed.errors);
    if (parsed.ok) add.mutate(parsed.value);
  };
  const field = (key: keyof FxForm, label: string, hint?: string) => (
    <TextField
      id={`fx-${key}`}
      label={label}
      value={form[key]}
      onChange={(v) => setForm({ ...form, [key]: v })}
      error={errors[key]}
      {...(hint ? { hint } : {})}
    />
  );
  return (
    <Section title="Exchange rates" id="fx">
      <Loaded query={rates}>
        {(list) =>
          list.length === 0 ? (
            <p>No exchange rate yet.</p>
          ) : (
            <TableScroll label="Exchange rates">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Pair</th>
                    <th scope="col" className="num">
                      Rate
                    </th>
                    <th scope="col">Effective from</th>
                  </tr>
                </thead>
                <tbody>
                  {[...list]
                    .sort((a, b) => b.effectiveFrom.localeCompare(a.effectiveFrom))
                    .map((r, i) => (
                      <tr key={`${r.from}${r.to}${r.effectiveFrom}${i}`} data-testid="fx-row">
                        <th scope="row">
                          {r.from} → {r.to}
                        </th>
                        <td className="num">
                          1 {r.from} = {unitsText(r.rateMicros)} {r.to}
                        </td>
                        <td>{formatTime(r.effectiveFrom)}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </TableScroll>
          )
        }
      </Loaded>
      <form onSubmit={submit} noValidate className="admin-compare" aria-labelledby="fx-add-title">
        <h3 id="fx-add-title">Add an exchange rate</h3>
        <div className="admin-form-grid">
          {field('from', 'From currency', 'e.g. EUR')}
          {field('to', 'To currency', 'e.g. SEK')}
          {field('rate', 'Rate', 'units of “to” per 1 unit of “from”')}
          {field('effectiveFrom', 'Effective from (UTC)')}
        </div>
        <div className="row admin-compare">
          <button type="submit" className="primary" disabled={add.isPending}>
            Add exchange rate
          </button>
        </div>
        {add.error ? <ErrorBanner error={add.error} title="Exchange rate refused" /> : null}
      </form>
    </Section>
  );
}
