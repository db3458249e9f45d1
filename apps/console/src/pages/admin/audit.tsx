import { useInfiniteQuery } from '@tanstack/react-query';
import { api, type RouterOutputs } from '../../api/client';
import { ErrorBanner } from '../../ui/error-banner';
import { PageTitle, Section, formatTime } from '../../ui/parts';
import { DiffTable } from './diff-table';
import { diffValues } from './diff';
import './admin.css';

type Entry = RouterOutputs['audit']['list']['entries'][number];
const PAGE = 25;

/** The append-only audit log, newest first: who changed what, when, and the before/after of it. */
export default function AdminAudit() {
  const log = useInfiniteQuery({
    queryKey: ['audit.list', { limit: PAGE }],
    queryFn: ({ pageParam, signal }) =>
      api.audit.list.query({ limit: PAGE, ...(pageParam ? { before: pageParam } : {}) }, { signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextBefore,
  });
  const entries = log.data?.pages.flatMap((p) => p.entries) ?? [];
  return (
    <>
      <PageTitle lead="Every change an admin or operator made through the API. Nothing edits or deletes it.">
        Audit log
      </PageTitle>
      <Section title="Entries" id="audit-entries">
        <div className="row admin-compare">
          <button type="button" onClick={() => void log.refetch()} disabled={log.isFetching}>
            Refresh
          </button>
        </div>
        {log.error ? <ErrorBanner error={log.error} /> : null}
        {log.isPending ? <p aria-busy="true">Loading…</p> : null}
        {!log.isPending && entries.length === 0 && !log.error ? <p>No entries yet.</p> : null}
        <ol className="admin-audit">
          {entries.map((e) => (
            <AuditEntry key={e.id} entry={e} />
          ))}
        </ol>
        {log.hasNextPage ? (
          <button type="button" onClick={() => void log.fetchNextPage()} disabled={log.isFetchingNextPage}>
            Load older entries
          </button>
        ) : null}
      </Section>
    </>
  );
}

function AuditEntry({ entry }: { entry: Entry }) {
  const changes = diffValues(entry.before, entry.after).length;
  return (
    <li className="admin-audit-entry" data-testid="audit-entry" data-procedure={entry.procedure}>
      <div className="admin-audit-head">
        <code>{entry.procedure}</code>
        <span>
          on <code>{entry.target}</code>
        </span>
        <span>
          by {entry.actor.role} <strong>{entry.actor.subject}</strong>
        </span>
        <time dateTime={entry.at}>{formatTime(entry.at)}</time>
      </div>
      <details>
        <summary>
          {changes} change{changes === 1 ? '' : 's'}
        </summary>
        <DiffTable
          before={entry.before}
          after={entry.after}
          label={`Before and after of ${entry.procedure} on ${entry.target}`}
        />
      </details>
    </li>
  );
}
