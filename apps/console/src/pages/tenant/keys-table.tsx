import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, type RouterOutputs } from '../../api/client';
import { ConfirmButton } from '../../ui/confirm-button';
import { ErrorBanner } from '../../ui/error-banner';
import { formatMoney } from '../../ui/money';
import { TableScroll, formatTime } from '../../ui/parts';

type Key = RouterOutputs['keys']['list']['keys'][number];

/** The tenant's keys with their limits and spend this period; revoking asks for confirmation. */
export function KeysTable({ keys, currency }: { keys: readonly Key[]; currency: string }) {
  if (keys.length === 0) return <p>No API keys yet.</p>;
  return (
    <TableScroll label="API keys">
      <table className="tenant-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Key id</th>
            <th scope="col">Status</th>
            <th scope="col">Limits</th>
            <th scope="col" className="num">
              Spent this period
            </th>
            <th scope="col">Created</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <KeyRow key={k.id} k={k} currency={currency} />
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function KeyRow({ k, currency }: { k: Key; currency: string }) {
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => api.keys.revoke.mutate({ id: k.id }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['keys.list'] }),
  });
  const expired = k.limits.expiresAt ? Date.parse(k.limits.expiresAt) <= Date.now() : false;
  return (
    <tr data-testid={`key-${k.id}`}>
      <td className="nowrap">{k.name}</td>
      <td>
        <code>{k.id}</code>
      </td>
      <td>
        {k.revokedAt ? (
          <span className="badge bad">revoked {formatTime(k.revokedAt)}</span>
        ) : expired ? (
          <span className="badge warn">expired</span>
        ) : (
          <span className="badge ok">active</span>
        )}
      </td>
      <td className="key-limits-cell">
        <KeyLimits k={k} currency={currency} />
      </td>
      <td className="num">
        {k.usage ? formatMoney(k.usage.posted, currency) : formatMoney(0, currency)}
        {k.usage && k.usage.pending > 0 ? <div>held {formatMoney(k.usage.pending, currency)}</div> : null}
      </td>
      <td className="nowrap">{formatTime(k.createdAt)}</td>
      <td>
        {k.revokedAt ? null : (
          <ConfirmButton
            label="Revoke"
            accessibleLabel={`Revoke ${k.name}`}
            question="Requests with this key will fail at once. This cannot be undone."
            confirmLabel={`Revoke “${k.name}” now`}
            onConfirm={() => revoke.mutate()}
            busy={revoke.isPending}
            danger
          />
        )}
        {revoke.error ? <ErrorBanner error={revoke.error} title="Not revoked" /> : null}
      </td>
    </tr>
  );
}

/** A long residency (a group like EU is stored as its countries) folds away behind its count. */
const RESIDENCY_SHOWN = 8;

function KeyLimits({ k, currency }: { k: Key; currency: string }) {
  const l = k.limits;
  const parts = [
    l.models ? `models ${l.models.join(', ')}` : null,
    l.budget !== undefined ? `budget ${formatMoney(l.budget, currency)}` : null,
    l.tokensPerMinute !== undefined ? `${l.tokensPerMinute} tokens/min` : null,
    l.expiresAt ? `expires ${formatTime(l.expiresAt)}` : null,
  ].filter((p): p is string => p !== null);
  if (parts.length === 0 && !l.residency) return <span>none (the tenant’s)</span>;
  return (
    <ul className="key-limits">
      {l.residency ? (
        <li>
          {l.residency.length <= RESIDENCY_SHOWN ? (
            `residency ${l.residency.join(', ')}`
          ) : (
            <details>
              <summary>residency: {l.residency.length} countries</summary>
              {l.residency.join(', ')}
            </details>
          )}
        </li>
      ) : null}
      {parts.map((p) => (
        <li key={p}>{p}</li>
      ))}
    </ul>
  );
}
