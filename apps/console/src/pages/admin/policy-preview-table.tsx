import type { RouterOutputs } from '../../api/client';
import { TableScroll } from '../../ui/parts';

type Preview = RouterOutputs['policy']['preview'];
type Route = Preview['tenants'][number]['current'];

/** For each tenant: the sites it gets now and the sites it would get, best first. */
export function PolicyPreviewTable({ preview }: { preview: Preview }) {
  return (
    <TableScroll label="Preview by tenant">
      <table>
        <thead>
          <tr>
            <th scope="col">Tenant</th>
            <th scope="col">Now (v{preview.currentVersion})</th>
            <th scope="col">Edited (v{preview.candidateVersion})</th>
            <th scope="col">Top site</th>
          </tr>
        </thead>
        <tbody>
          {preview.tenants.map((t) => (
            <tr key={t.tenantId} data-testid={`preview-${t.tenantId}`}>
              <th scope="row">
                <code>{t.tenantId}</code>
                <div className="admin-hint">{t.name}</div>
              </th>
              <td data-testid="preview-current">
                <Ranking route={t.current} />
              </td>
              <td data-testid="preview-candidate">
                <Ranking route={t.candidate} />
              </td>
              <td>
                {t.changed ? (
                  <span className="badge warn">changes</span>
                ) : (
                  <span className="badge ok">same</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function Ranking({ route }: { route: Route }) {
  return (
    <>
      {route.candidates.length === 0 ? (
        <p className="field-error">no eligible site</p>
      ) : (
        <ol className="admin-ranking">
          {route.candidates.map((c) => (
            <li key={c.siteId} data-testid={c.rank === 1 ? 'top-site' : undefined}>
              <code>{c.siteId}</code> <span className="admin-hint">{c.jurisdiction}</span>
              {c.home ? <span className="admin-hint"> home</span> : null}{' '}
              <span className="admin-hint">score {c.score}</span>
            </li>
          ))}
        </ol>
      )}
      {route.excluded.length > 0 ? (
        <details>
          <summary>{route.excluded.length} excluded</summary>
          <ul className="admin-ranking">
            {route.excluded.map((e) => (
              <li key={e.siteId}>
                <code>{e.siteId}</code> <span className="admin-hint">{e.reason}</span>
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </>
  );
}
