import { useState } from 'react';
import type { Policy } from './policy-form';
import { DiffTable } from './diff-table';
import { TableScroll } from '../../ui/parts';

/** Every saved version (newest first), and the difference between any two of them. */
export function PolicyHistory({ history }: { history: readonly Policy[] }) {
  const newest = history[0]?.version;
  const [from, setFrom] = useState<number | undefined>();
  const [to, setTo] = useState<number | undefined>();
  const toVersion = to ?? newest;
  const fromVersion = from ?? history.find((p) => p.version !== toVersion)?.version;
  const byVersion = (v: number | undefined) => history.find((p) => p.version === v);
  const options = history.map((p) => (
    <option key={p.version} value={p.version}>
      v{p.version}
    </option>
  ));
  return (
    <>
      <TableScroll label="Policy versions">
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Weights (latency / load / price)</th>
              <th scope="col">Home</th>
              <th scope="col" className="num">
                Failover
              </th>
              <th scope="col" className="num">
                Overrides
              </th>
            </tr>
          </thead>
          <tbody>
            {history.map((p) => (
              <tr key={p.version} data-testid={`policy-version-${p.version}`}>
                <th scope="row">v{p.version}</th>
                <td>
                  {p.weights.latency} / {p.weights.load} / {p.weights.price}
                </td>
                <td>
                  {p.preferHome.mode}
                  {p.preferHome.mode === 'margin' ? ` ${p.preferHome.marginMs} ms` : ''}
                </td>
                <td className="num">{p.maxFailoverAttempts}</td>
                <td className="num">{Object.keys(p.tenantOverrides).length}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {history.length > 1 ? (
        <>
          <div className="row admin-compare">
            <label htmlFor="diff-from">Compare</label>
            <select id="diff-from" value={fromVersion} onChange={(e) => setFrom(Number(e.target.value))}>
              {options}
            </select>
            <label htmlFor="diff-to">with</label>
            <select id="diff-to" value={toVersion} onChange={(e) => setTo(Number(e.target.value))}>
              {options}
            </select>
          </div>
          <div data-testid="policy-diff">
            <DiffTable
              before={byVersion(fromVersion)}
              after={byVersion(toVersion)}
              label={`Changes from v${fromVersion} to v${toVersion}`}
            />
          </div>
        </>
      ) : null}
    </>
  );
}
