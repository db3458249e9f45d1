import type { RouterOutputs } from '../../api/client';
import { TableScroll } from '../../ui/parts';

export type ExplainResult = RouterOutputs['routing']['explain'];

/** What each exclusion reason means, in words a tenant can act on. */
export const EXCLUSION_REASONS: Readonly<Record<string, string>> = {
  OUTSIDE_RESIDENCY: 'outside your residency: your data may not go there',
  EXCLUDED_BY_POLICY: 'excluded for you by the routing policy',
  DRAINING: 'being drained by its operator',
  DOWN: 'down',
  CIRCUIT_OPEN: 'failing: its circuit breaker is open',
  NO_AGENT: 'its site agent is not connected',
  MODEL_MISSING: 'does not serve this model',
  NO_PRICE: 'no price for this model on a rate card',
};

const LATENCY_SOURCES: Readonly<Record<string, string>> = {
  prior: 'estimated from distance',
  blended: 'distance blended with measurements',
  measured: 'measured',
};

/** A routing.explain answer: the ranked candidates and every excluded site with its reason. */
export function RoutePlan({ plan }: { plan: ExplainResult }) {
  return (
    <>
      <p data-testid="explain-summary">
        Routing policy <strong>v{plan.policyVersion}</strong> for <code>{plan.model}</code>. Allowed
        jurisdictions: <strong>{plan.allowedJurisdictions.join(', ') || 'none'}</strong>.
      </p>
      <h3>Candidates, best first</h3>
      {plan.candidates.length === 0 ? (
        <p role="status">No site may serve this request: it would be refused with NO_ELIGIBLE_SITE.</p>
      ) : (
        <TableScroll label="Ranked candidates">
          <table className="tenant-table" data-testid="explain-candidates">
            <thead>
              <tr>
                <th scope="col" className="num">
                  Rank
                </th>
                <th scope="col">Site</th>
                <th scope="col">Operator</th>
                <th scope="col">Jurisdiction</th>
                <th scope="col" className="num">
                  Latency
                </th>
                <th scope="col">Latency source</th>
                <th scope="col" className="num">
                  Load
                </th>
                <th scope="col">Home operator</th>
              </tr>
            </thead>
            <tbody>
              {plan.candidates.map((c) => (
                <tr key={c.siteId}>
                  <td className="num">{c.rank}</td>
                  <th scope="row">
                    <code>{c.siteId}</code>
                  </th>
                  <td className="nowrap">{c.operatorId}</td>
                  <td>{c.jurisdiction}</td>
                  <td className="num">{c.latencyMs.toFixed(1)} ms</td>
                  <td>{LATENCY_SOURCES[c.latencySource] ?? c.latencySource}</td>
                  <td className="num">{Math.round(c.load * 100)}%</td>
                  <td>{c.home ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <h3>Excluded sites</h3>
      {plan.excluded.length === 0 ? (
        <p>No site is excluded.</p>
      ) : (
        <TableScroll label="Excluded sites">
          <table className="tenant-table" data-testid="explain-excluded">
            <thead>
              <tr>
                <th scope="col">Site</th>
                <th scope="col">Jurisdiction</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {plan.excluded.map((x) => (
                <tr key={x.siteId}>
                  <th scope="row">
                    <code>{x.siteId}</code>
                  </th>
                  <td>{x.jurisdiction}</td>
                  <td className="exclusion-reason">
                    <code>{x.reason}</code> — {EXCLUSION_REASONS[x.reason] ?? 'excluded'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </>
  );
}
