import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { formatMoney } from '../../ui/money';
import { Loaded, PageTitle, Section, Stat, TableScroll, formatTime } from '../../ui/parts';

/** Spend against budget this period, with the holds of requests still in flight. */
export default function TenantOverview() {
  const summary = useQuery({
    queryKey: ['usage.summary'],
    queryFn: ({ signal }) => api.usage.summary.query(undefined, { signal }),
    refetchInterval: 5_000,
  });
  return (
    <>
      <PageTitle lead="This budget period: what was spent, what is reserved for requests in flight, and what is left.">
        Spend
      </PageTitle>
      <Loaded query={summary}>
        {(s) => (
          <>
            <Section title={`Budget period ${s.period}`}>
              <div className="stats">
                <Stat label="Budget" value={formatMoney(s.budget, s.currency)} testId="budget" />
                <Stat label="Spent" value={formatMoney(s.spent, s.currency)} testId="spent" />
                <Stat label="Held in flight" value={formatMoney(s.held, s.currency)} testId="held" />
                <Stat label="Available" value={formatMoney(s.available, s.currency)} testId="available" />
                {s.overage > 0 ? (
                  <Stat label="Overage" value={formatMoney(s.overage, s.currency)} testId="overage" />
                ) : null}
                <Stat label="Mode" value={s.mode} />
                {s.tokensPerMinute ? <Stat label="Tokens per minute" value={s.tokensPerMinute} /> : null}
              </div>
              <SpendBar budget={s.budget} spent={s.spent} held={s.held} />
            </Section>
            <Section title="Holds in flight">
              {s.holdsInFlight.length === 0 ? (
                <p>No request is holding budget right now.</p>
              ) : (
                <TableScroll label="Holds in flight">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Request</th>
                        <th scope="col" className="num">
                          Held
                        </th>
                        <th scope="col">Expires</th>
                      </tr>
                    </thead>
                    <tbody>
                      {s.holdsInFlight.map((h) => (
                        <tr key={h.requestId}>
                          <td>
                            <code>{h.requestId}</code>
                          </td>
                          <td className="num">{formatMoney(h.amount, s.currency)}</td>
                          <td>{formatTime(h.expiresAt)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableScroll>
              )}
            </Section>
          </>
        )}
      </Loaded>
    </>
  );
}

/** Spent and held as shares of the budget; a meter, so screen readers read the figure. */
function SpendBar({ budget, spent, held }: { budget: number; spent: number; held: number }) {
  if (budget <= 0) return null;
  const used = Math.min(1, (spent + held) / budget);
  return (
    <div className="field" style={{ marginTop: 12 }}>
      <label htmlFor="budget-used">Budget used or held: {Math.round(used * 100)}%</label>
      <meter
        id="budget-used"
        min={0}
        max={1}
        low={0.7}
        high={0.9}
        optimum={0.2}
        value={used}
        style={{ width: '100%' }}
      />
    </div>
  );
}
