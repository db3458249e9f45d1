import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { ErrorBanner } from '../../ui/error-banner';
import { Loaded, Section, TableScroll, formatTime } from '../../ui/parts';
import { TextField } from './text-field';
import { nextHourUtc, rateCardFromForm, type RateCardForm } from './rates-form';
import { unitsText } from '../../ui/money';
import type { FormErrors } from './tenant-form';

/** Every rate card version (inline ones apply from the epoch), and adding a future one. */
export function RateCardsSection() {
  const queryClient = useQueryClient();
  const cards = useQuery({
    queryKey: ['rateCards.list', {}],
    queryFn: ({ signal }) => api.rateCards.list.query({}, { signal }),
  });
  const [form, setForm] = useState<RateCardForm>(() => ({
    operator: '',
    model: '',
    effectiveFrom: nextHourUtc(Date.now()),
    retailIn: '',
    retailOut: '',
    wholesaleIn: '',
    wholesaleOut: '',
  }));
  const [errors, setErrors] = useState<FormErrors<RateCardForm>>({});
  const add = useMutation({
    mutationFn: (input: Parameters<typeof api.rateCards.add.mutate>[0]) => api.rateCards.add.mutate(input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['rateCards.list'] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = rateCardFromForm(form);
    setErrors(parsed.ok ? {} : parsed.errors);
    if (parsed.ok) add.mutate(parsed.value);
  };
  const field = (key: keyof RateCardForm, label: string, hint?: string) => (
    <TextField
      id={`card-${key}`}
      label={label}
      value={form[key]}
      onChange={(v) => setForm({ ...form, [key]: v })}
      error={errors[key]}
      {...(hint ? { hint } : {})}
    />
  );
  const operators = [...new Set(cards.data?.map((c) => c.operator) ?? [])];
  return (
    <Section title="Rate cards" id="rate-cards">
      <p className="admin-hint">Prices per 1M tokens, in the operator's currency.</p>
      <Loaded query={cards}>
        {(list) => (
          <TableScroll label="Rate cards">
            <table>
              <thead>
                <tr>
                  <th scope="col">Operator</th>
                  <th scope="col">Model</th>
                  <th scope="col">Effective from</th>
                  <th scope="col" className="num">
                    Retail in / out
                  </th>
                  <th scope="col" className="num">
                    Wholesale in / out
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((c) => (
                  <tr key={`${c.operator}|${c.model}|${c.effectiveFrom}`} data-testid="rate-card-row">
                    <th scope="row">{c.operator}</th>
                    <td>
                      <code>{c.model}</code>
                    </td>
                    <td>{Date.parse(c.effectiveFrom) === 0 ? 'always' : formatTime(c.effectiveFrom)}</td>
                    <td className="num">
                      {unitsText(c.retail.inputPer1M)} / {unitsText(c.retail.outputPer1M)}
                    </td>
                    <td className="num">
                      {unitsText(c.wholesale.inputPer1M)} / {unitsText(c.wholesale.outputPer1M)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </Loaded>
      <form onSubmit={submit} noValidate className="admin-compare" aria-labelledby="card-add-title">
        <h3 id="card-add-title">Add a rate card version</h3>
        <div className="admin-form-grid">
          {field('operator', 'Operator', operators.length ? `e.g. ${operators[0]}` : undefined)}
          {field('model', 'Model')}
          {field('effectiveFrom', 'Effective from (UTC)', 'now or later; cards are not backdated')}
          {field('retailIn', 'Retail input')}
          {field('retailOut', 'Retail output')}
          {field('wholesaleIn', 'Wholesale input')}
          {field('wholesaleOut', 'Wholesale output')}
        </div>
        <div className="row admin-compare">
          <button type="submit" className="primary" disabled={add.isPending}>
            Add rate card
          </button>
        </div>
        {add.isSuccess ? (
          <p className="notice" role="status">
            Added {add.data.operator} / {add.data.model} from {formatTime(add.data.effectiveFrom)}.
          </p>
        ) : null}
        {add.error ? <ErrorBanner error={add.error} title="Rate card refused" /> : null}
      </form>
    </Section>
  );
}
