import { useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, type RouterOutputs } from '../../../api/client';
import { ErrorBanner } from '../../../ui/error-banner';
import { formatMoney, unitsText } from '../../../ui/money';
import { Section, TableScroll, formatTime } from '../../../ui/parts';
import { buildDispute, type DisputeDraftLine } from '../dispute-form';

type Line = RouterOutputs['settlement']['get']['statement']['lines'][number];

/**
 * The statement's lines, from the reader's side (who owes whom), and — while the statement is open
 * to it — a dispute form: tick the lines you contest and give your own amount for each.
 */
export function LinesTable({
  statementId,
  lines,
  currency,
  me,
  canDispute,
}: {
  statementId: string;
  lines: readonly Line[];
  currency: string;
  me: string | null;
  canDispute: boolean;
}) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<DisputeDraftLine[]>(() =>
    lines.map((l) => ({ lineNo: l.lineNo, selected: false, amount: '' })),
  );
  const [errors, setErrors] = useState<Partial<Record<number | 'form', string>>>({});
  const dispute = useMutation({
    mutationFn: (body: { lineNo: number; amount: number }[]) =>
      api.settlement.dispute.mutate({ statementId, lines: body }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['settlement.get', { statementId }] }),
  });
  const set = (lineNo: number, patch: Partial<DisputeDraftLine>) =>
    setDraft((d) => d.map((l) => (l.lineNo === lineNo ? { ...l, ...patch } : l)));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const built = buildDispute(draft);
    if (!built.ok) return setErrors(built.errors);
    setErrors({});
    dispute.mutate(built.lines);
  };
  const table = (
    <TableScroll label="Statement lines">
      <table>
        <thead>
          <tr>
            <th scope="col">Line</th>
            <th scope="col">Counterparty · direction</th>
            <th scope="col">Kind · model</th>
            <th scope="col" className="num">
              Records
            </th>
            <th scope="col" className="num">
              Tokens in / out
            </th>
            <th scope="col" className="num">
              Settled
            </th>
            <th scope="col">Merkle root</th>
            {canDispute ? <th scope="col">Dispute</th> : null}
          </tr>
        </thead>
        <tbody>
          {lines.map((l) => {
            const d = draft.find((x) => x.lineNo === l.lineNo)!;
            const counterparty = me === l.creditor ? l.debtor : me === l.debtor ? l.creditor : null;
            return (
              <tr key={l.lineNo} data-testid={`line-${l.lineNo}`}>
                <th scope="row">{l.lineNo}</th>
                <td>
                  {counterparty ?? `${l.creditor} / ${l.debtor}`}
                  <span className="sub">
                    {me === l.creditor
                      ? 'owed to you'
                      : me === l.debtor
                        ? 'you owe'
                        : `${l.debtor} owes ${l.creditor}`}
                  </span>
                </td>
                <td>
                  {l.kind} · {l.model}
                  {l.originalPeriod ? <span className="sub">for {l.originalPeriod}</span> : null}
                </td>
                <td className="num">{l.records}</td>
                <td className="num">
                  {l.inputTokens} / {l.outputTokens}
                </td>
                <td className="num">
                  {formatMoney(l.settledAmount, currency)}
                  {/* the line's own currency, when settlement converted it */}
                  {l.currency !== currency ? (
                    <span className="sub">
                      {formatMoney(l.amount, l.currency)} at {l.fx.rate}
                      {l.fx.source ? ` (${l.fx.source}, from ${formatTime(l.fx.effectiveFrom)})` : null}
                    </span>
                  ) : null}
                </td>
                <td>
                  {/* abbreviated: the full root is in the CSV and in the inclusion check */}
                  <code className="root" title={l.merkleRoot}>
                    {l.merkleRoot.slice(0, 12)}…
                  </code>
                </td>
                {canDispute ? (
                  <td>
                    <div className="stack dispute-cell">
                      <label>
                        <input
                          type="checkbox"
                          checked={d.selected}
                          onChange={(e) => set(l.lineNo, { selected: e.target.checked })}
                        />{' '}
                        Dispute line {l.lineNo}
                      </label>
                      <label htmlFor={`claim-${l.lineNo}`}>Your amount ({currency})</label>
                      <input
                        id={`claim-${l.lineNo}`}
                        inputMode="decimal"
                        disabled={!d.selected}
                        placeholder={unitsText(l.settledAmount)}
                        value={d.amount}
                        aria-invalid={errors[l.lineNo] ? true : undefined}
                        aria-describedby={errors[l.lineNo] ? `claim-${l.lineNo}-error` : undefined}
                        onChange={(e) => set(l.lineNo, { amount: e.target.value })}
                      />
                      {errors[l.lineNo] ? (
                        <p className="field-error" id={`claim-${l.lineNo}-error`}>
                          {errors[l.lineNo]}
                        </p>
                      ) : null}
                    </div>
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableScroll>
  );
  return (
    <Section title="Lines">
      {canDispute ? (
        <form onSubmit={submit} aria-label="Dispute lines" noValidate>
          {table}
          {errors['form'] ? (
            <p className="field-error" role="alert">
              {errors['form']}
            </p>
          ) : null}
          <div className="row" style={{ marginTop: 12 }}>
            <button type="submit" className="danger" disabled={dispute.isPending}>
              Dispute selected lines
            </button>
          </div>
          {dispute.error ? <ErrorBanner error={dispute.error} title="Dispute refused" /> : null}
        </form>
      ) : (
        table
      )}
    </Section>
  );
}
