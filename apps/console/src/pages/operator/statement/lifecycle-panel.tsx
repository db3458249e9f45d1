import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, type RouterOutputs } from '../../../api/client';
import { ErrorBanner } from '../../../ui/error-banner';
import { formatMoney } from '../../../ui/money';
import { Section, TableScroll, formatTime } from '../../../ui/parts';
import { ConfirmButton } from '../../../ui/confirm-button';
import { StatusBadge } from '../status-badge';

type Lifecycle = RouterOutputs['settlement']['get']['lifecycle'];

/** Where the statement stands (issued → accepted, or disputed → resolved) and the accept action. */
export function LifecyclePanel({
  statementId,
  lifecycle,
  me,
  currency,
}: {
  statementId: string;
  lifecycle: Lifecycle;
  me: string | null;
  currency: string;
}) {
  const queryClient = useQueryClient();
  const status = lifecycle?.status ?? 'issued';
  const acceptedBy = lifecycle?.acceptedBy ?? [];
  const accept = useMutation({
    mutationFn: () => api.settlement.accept.mutate({ statementId }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['settlement.get', { statementId }] }),
  });
  const canAccept = me !== null && status === 'issued' && !acceptedBy.includes(me);
  return (
    <Section title="Lifecycle">
      <p>
        Status <StatusBadge status={status} />
        {acceptedBy.length > 0 ? <> · accepted by {acceptedBy.join(' and ')}</> : null}
      </p>
      {canAccept ? (
        <ConfirmButton
          label="Accept statement"
          question="Accept every line of this statement as stated?"
          confirmLabel="Yes, accept"
          busy={accept.isPending}
          onConfirm={() => accept.mutate()}
        />
      ) : null}
      {accept.error ? <ErrorBanner error={accept.error} title="Not accepted" /> : null}
      {lifecycle?.dispute ? (
        <>
          <h3>
            Disputed by {lifecycle.dispute.by} at {formatTime(lifecycle.dispute.at)}
          </h3>
          <TableScroll label="Disputed lines">
            <table>
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col" className="num">
                    Stated
                  </th>
                  <th scope="col" className="num">
                    Claimed
                  </th>
                  <th scope="col" className="num">
                    Difference
                  </th>
                </tr>
              </thead>
              <tbody>
                {lifecycle.dispute.lines.map((l) => (
                  <tr key={l.lineNo}>
                    <th scope="row">{l.lineNo}</th>
                    <td className="num">{formatMoney(l.stated, currency)}</td>
                    <td className="num">{formatMoney(l.claimed, currency)}</td>
                    <td className="num">{formatMoney(l.difference, currency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        </>
      ) : null}
      {lifecycle?.resolution ? (
        <p>
          Resolved by {lifecycle.resolution.by} at {formatTime(lifecycle.resolution.at)}:{' '}
          {lifecycle.resolution.debtor} pays {lifecycle.resolution.creditor}{' '}
          {formatMoney(lifecycle.resolution.amount, currency)}{' '}
          {lifecycle.resolution.creditNoteId
            ? 'by credit note (below).'
            : `in period ${lifecycle.resolution.targetPeriod}.`}
        </p>
      ) : null}
    </Section>
  );
}
