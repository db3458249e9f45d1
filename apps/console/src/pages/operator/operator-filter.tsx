import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { useWho } from '../../session/session';

/**
 * Admins see every operator's sites and statements and may narrow them to one operator; an operator
 * always sees its own (the API scopes it regardless), so it is offered no filter.
 */
export function useOperatorFilter(): { isAdmin: boolean } {
  const who = useWho();
  return { isAdmin: who.role === 'admin' };
}

export function OperatorFilter({ value, onChange }: { value: string; onChange: (operator: string) => void }) {
  const sites = useQuery({
    queryKey: ['sites.list', {}],
    queryFn: ({ signal }) => api.sites.list.query({}, { signal }),
  });
  const operators = [...new Set((sites.data ?? []).map((s) => s.operator))].sort();
  return (
    <div className="field operator-filter">
      <label htmlFor="operator-filter">Operator</label>
      <select id="operator-filter" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">All operators</option>
        {operators.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </div>
  );
}
