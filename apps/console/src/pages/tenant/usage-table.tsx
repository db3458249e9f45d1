import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api, type RouterOutputs } from '../../api/client';
import { ErrorBanner } from '../../ui/error-banner';
import { formatMoney } from '../../ui/money';
import { TableScroll, formatTime } from '../../ui/parts';
import { EXCLUSION_REASONS } from './route-plan';

export type UsageRow = RouterOutputs['usage']['list']['records'][number];

/** Recent requests, newest first; each row opens why it was served where it was. */
export function UsageTable({ records }: { records: readonly UsageRow[] }) {
  const [open, setOpen] = useState<string | null>(null);
  const opened = records.find((r) => r.recordId === open);
  return (
    <>
      <TableScroll label="Recent requests">
        <table className="tenant-table" data-testid="usage-table">
          <thead>
            <tr>
              <th scope="col">When (UTC)</th>
              <th scope="col">Model</th>
              <th scope="col">Site</th>
              <th scope="col">Served by</th>
              <th scope="col">Jurisdiction</th>
              <th scope="col" className="num">
                Tokens in / out
              </th>
              <th scope="col" className="num">
                Charge
              </th>
              <th scope="col">Policy</th>
              <th scope="col">Flags</th>
              <th scope="col">Why here</th>
            </tr>
          </thead>
          <tbody>
            {records.map((r) => {
              const isOpen = open === r.recordId;
              return (
                <tr
                  key={r.recordId}
                  data-testid={`usage-row-${r.requestId}`}
                  className={isOpen ? 'why' : undefined}
                >
                  <td className="nowrap">
                    <When iso={r.completedAt} />
                  </td>
                  <td>{r.model}</td>
                  <td className="nowrap">
                    <code>{r.siteId}</code>
                  </td>
                  <td className="nowrap">{r.servingOperator}</td>
                  <td>{r.jurisdiction}</td>
                  <td className="num">
                    {r.inputTokens} / {r.outputTokens}
                  </td>
                  <td className="num">{formatMoney(r.charge, r.currency)}</td>
                  <td>v{r.policyVersion}</td>
                  <td>
                    {r.flags.map((f) => (
                      <span key={f} className="badge warn">
                        {f}
                      </span>
                    ))}
                  </td>
                  <td>
                    <button
                      type="button"
                      aria-expanded={isOpen}
                      aria-controls={isOpen ? 'why-panel' : undefined}
                      aria-label={`Why request ${r.requestId} was served at ${r.siteId}`}
                      onClick={() => setOpen(isOpen ? null : r.recordId)}
                    >
                      {isOpen ? 'Hide' : 'Why?'}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableScroll>
      {/* below the table, not inside it: readable at any width without scrolling the table */}
      {opened ? <WhyServed key={opened.recordId} record={opened} /> : null}
    </>
  );
}

/** A timestamp on two short lines (date, then time) so the wide table stays narrow. */
function When({ iso }: { iso: string }) {
  const [date, time] = formatTime(iso).split(' ');
  return (
    <time dateTime={iso}>
      {date}
      <br />
      {time}
    </time>
  );
}

/**
 * The record's own route (kept in the usage record when it was served) next to how the same model
 * would be routed now — two different things, labelled as such: the policy or the sites' health
 * may have changed since.
 */
function WhyServed({ record }: { record: UsageRow }) {
  const now = useQuery({
    queryKey: ['routing.explain', { model: record.model }],
    queryFn: ({ signal }) => api.routing.explain.query({ model: record.model }, { signal }),
    retry: false,
  });
  return (
    <div
      className="why-grid"
      id="why-panel"
      data-testid="why-panel"
      role="region"
      aria-label={`Why request ${record.requestId} was served at ${record.siteId}`}
    >
      <div>
        <h3>When served (policy v{record.policyVersion})</h3>
        {record.candidates.length === 0 ? (
          <p>This record predates stored candidates.</p>
        ) : (
          <ol aria-label="Candidates when served, best first" data-testid="why-candidates">
            {record.candidates.map((c) => (
              <li key={c}>
                <code>{c}</code>
                {c === record.siteId ? <strong> — served here</strong> : null}
              </li>
            ))}
          </ol>
        )}
        <p>
          {record.failedAttempts > 0
            ? `${record.failedAttempts} site(s) failed before this one served it.`
            : 'Served by the first site it was sent to.'}
        </p>
      </div>
      <div>
        <h3>
          How {record.model} would be routed now{now.data ? ` (policy v${now.data.policyVersion})` : ''}
        </h3>
        {now.error ? <ErrorBanner error={now.error} title="Dry run refused" /> : null}
        {now.isPending ? <p aria-busy="true">Asking…</p> : null}
        {now.data ? (
          <>
            <ol aria-label="Candidates now, best first" data-testid="why-now">
              {now.data.candidates.map((c) => (
                <li key={c.siteId}>
                  <code>{c.siteId}</code> ({c.jurisdiction}, {c.operatorId})
                </li>
              ))}
            </ol>
            {now.data.excluded.length > 0 ? (
              <p>
                Excluded now:{' '}
                {now.data.excluded
                  .map((x) => `${x.siteId} (${EXCLUSION_REASONS[x.reason] ?? x.reason})`)
                  .join('; ')}
                .
              </p>
            ) : null}
          </>
        ) : null}
      </div>
    </div>
  );
}
