import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { ErrorBanner } from '../../ui/error-banner';
import { formatMoney, parseMoney, unitsText } from '../../ui/money';
import { Loaded, Section, Stat } from '../../ui/parts';
import { TextField } from './text-field';
import { wholeNumber } from './tenant-form';

/** One tenant's ledger account: its figures, its budget settings, and prepaid top-ups. */
export function TenantBudget({ tenantId }: { tenantId: string }) {
  const account = useQuery({
    queryKey: ['budgets.get', { tenantId }],
    queryFn: ({ signal }) => api.budgets.get.query({ tenantId }, { signal }),
  });
  return (
    <Section title={`Budget of ${tenantId}`} id="tenant-budget">
      <Loaded query={account}>
        {(a) => {
          const money = (m: number) => formatMoney(m, a.currency ?? 'EUR');
          return (
            <>
              <div className="stats">
                <Stat label="Budget" value={money(a.budget)} testId="account-budget" />
                <Stat label="Spent" value={money(a.posted)} />
                <Stat label="Held in flight" value={money(a.pending)} />
                <Stat label="Available" value={money(a.available)} testId="account-available" />
                <Stat label="Mode" value={a.mode} />
                {a.period ? <Stat label="Period" value={a.period} /> : null}
                <Stat label="Tokens per minute" value={a.tokensPerMinute || 'no limit'} />
              </div>
              <div className="grid">
                <BudgetSettings
                  key={`${a.budget}-${a.mode}-${a.tokensPerMinute}`}
                  tenantId={tenantId}
                  account={a}
                />
                <TopUp tenantId={tenantId} currency={a.currency ?? 'EUR'} />
              </div>
            </>
          );
        }}
      </Loaded>
    </Section>
  );
}

type Account = { budget: number; mode: 'period' | 'prepaid'; tokensPerMinute: number };

function BudgetSettings({ tenantId, account }: { tenantId: string; account: Account }) {
  const queryClient = useQueryClient();
  const [budget, setBudget] = useState(unitsText(account.budget));
  const [mode, setMode] = useState(account.mode);
  const [tpm, setTpm] = useState(String(account.tokensPerMinute));
  const [errors, setErrors] = useState<{ budget?: string; tpm?: string }>({});
  const set = useMutation({
    mutationFn: (input: Parameters<typeof api.budgets.set.mutate>[0]) => api.budgets.set.mutate(input),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['budgets.get', { tenantId }] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const amount = parseMoney(budget);
    const tokensPerMinute = wholeNumber(tpm);
    const found = {
      ...(amount === undefined ? { budget: 'an amount such as 100 or 12.50' } : {}),
      ...(tokensPerMinute === undefined ? { tpm: 'a whole number (0 = no limit)' } : {}),
    };
    setErrors(found);
    if (amount !== undefined && tokensPerMinute !== undefined)
      set.mutate({ tenantId, budget: amount, mode, tokensPerMinute });
  };
  return (
    <form onSubmit={submit} className="stack" noValidate aria-labelledby="budget-settings-title">
      <h3 id="budget-settings-title">Budget settings</h3>
      <TextField
        id="budget-amount"
        label="Budget"
        value={budget}
        onChange={setBudget}
        error={errors.budget}
        inputMode="decimal"
      />
      <div className="field">
        <label htmlFor="budget-mode">Mode</label>
        <select id="budget-mode" value={mode} onChange={(e) => setMode(e.target.value as Account['mode'])}>
          <option value="period">per period</option>
          <option value="prepaid">prepaid</option>
        </select>
      </div>
      <TextField
        id="budget-tpm"
        label="Tokens per minute"
        value={tpm}
        onChange={setTpm}
        error={errors.tpm}
        inputMode="numeric"
      />
      <div className="row">
        <button type="submit" disabled={set.isPending}>
          Set budget
        </button>
      </div>
      {set.error ? <ErrorBanner error={set.error} title="Budget not set" /> : null}
    </form>
  );
}

const newTopUpId = () => `topup-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

function TopUp({ tenantId, currency }: { tenantId: string; currency: string }) {
  const queryClient = useQueryClient();
  const [amount, setAmount] = useState('');
  const [topUpId, setTopUpId] = useState(newTopUpId);
  const [error, setError] = useState<string | undefined>();
  const topUp = useMutation({
    mutationFn: (input: Parameters<typeof api.budgets.topUp.mutate>[0]) => api.budgets.topUp.mutate(input),
    onSuccess: async () => {
      setAmount('');
      setTopUpId(newTopUpId());
      await queryClient.invalidateQueries({ queryKey: ['budgets.get', { tenantId }] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const micros = parseMoney(amount);
    const problem =
      micros === undefined || micros <= 0
        ? 'a positive amount such as 50 or 12.50'
        : !/^[A-Za-z0-9._:-]{1,128}$/.test(topUpId)
          ? 'letters, digits and . _ : - only'
          : undefined;
    setError(problem);
    if (!problem) topUp.mutate({ tenantId, topUpId, amount: micros! });
  };
  return (
    <form onSubmit={submit} className="stack" noValidate aria-labelledby="top-up-title">
      <h3 id="top-up-title">Top up</h3>
      <TextField
        id="top-up-amount"
        label={`Amount (${currency})`}
        value={amount}
        onChange={setAmount}
        error={error}
        inputMode="decimal"
      />
      <TextField
        id="top-up-id"
        label="Payment reference"
        value={topUpId}
        onChange={setTopUpId}
        hint="the same reference twice adds nothing"
      />
      <div className="row">
        <button type="submit" className="primary" disabled={topUp.isPending}>
          Top up
        </button>
      </div>
      {topUp.data ? (
        <p className="notice" role="status">
          {topUp.data.replay ? 'Already applied: ' : 'Topped up: '}budget now{' '}
          {formatMoney(topUp.data.budget, currency)}
        </p>
      ) : null}
      {topUp.error ? <ErrorBanner error={topUp.error} title="Top-up refused" /> : null}
    </form>
  );
}
