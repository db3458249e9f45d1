import { diffValues, showValue } from './diff';
import { TableScroll } from '../../ui/parts';

/** Before/after of one change, one row per changed path; added in green, removed in red. */
export function DiffTable({ before, after, label }: { before: unknown; after: unknown; label: string }) {
  const lines = diffValues(before, after);
  if (lines.length === 0) return <p>No differences.</p>;
  return (
    <TableScroll label={label}>
      <table className="admin-diff">
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Change</th>
            <th scope="col">Before</th>
            <th scope="col">After</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l) => (
            <tr key={l.path}>
              <th scope="row">
                <code>{l.path}</code>
              </th>
              <td>{l.kind}</td>
              <td className={l.kind === 'added' ? undefined : 'diff-removed'}>
                <code>{showValue(l.before)}</code>
              </td>
              <td className={l.kind === 'removed' ? undefined : 'diff-added'}>
                <code>{showValue(l.after)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
