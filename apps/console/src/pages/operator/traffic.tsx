import { useQuery } from '@tanstack/react-query';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api } from '../../api/client';
import { useWho } from '../../session/session';
import { formatMoney } from '../../ui/money';
import { Loaded, PageTitle, Section, Stat, TableScroll } from '../../ui/parts';
import { servedForOthers, type TrafficReport } from './traffic-aggregate';
import './operator.css';

/** statements read for the report, newest first (each is one request) */
const MAX_STATEMENTS = 60;
const COLOURS = ['#1f5fa8', '#b3541e', '#2e7d4f', '#7b3fa0', '#8a6d00', '#4a5868'];

/**
 * What this operator's sites served for other operators' tenants, from the signed statements of
 * settled periods (the figures both sides settle on). The current, unsettled period shows up as
 * "requests measured" on the Sites page until its statement is issued.
 */
export default function Traffic() {
  const me = useWho().subject;
  const report = useQuery({
    queryKey: ['operator.traffic', me],
    queryFn: async ({ signal }) => {
      const list = await api.settlement.list.query({}, { signal });
      const recent = [...list]
        .sort((a, b) => b.period.id.localeCompare(a.period.id))
        .slice(0, MAX_STATEMENTS);
      const full = await Promise.all(
        recent.map((s) => api.settlement.get.query({ statementId: s.statementId }, { signal })),
      );
      return {
        report: servedForOthers(
          me,
          full.map((f) => f.statement),
        ),
        statements: recent.length,
        of: list.length,
      };
    },
  });
  return (
    <>
      <PageTitle lead="Requests your sites served for other operators' tenants, as settled in signed statements. The current period appears once its statement is issued; until then watch “requests measured” on Sites.">
        Roaming traffic
      </PageTitle>
      <Loaded query={report}>
        {({ report: r, statements, of }) => (
          <>
            <Section title="Served for others">
              <div className="stats">
                <Stat label="Requests" value={r.total.requests} testId="traffic-requests" />
                <Stat label="Input tokens" value={r.total.inputTokens} />
                <Stat label="Output tokens" value={r.total.outputTokens} />
                {r.currencies.length === 1 ? (
                  <Stat
                    label="Settled in your favour"
                    value={formatMoney(r.total.amount, r.currencies[0]!)}
                  />
                ) : null}
                <Stat label="Home operators" value={r.homeOperators.length} />
              </div>
              <p className="sub">
                From {statements} statement{statements === 1 ? '' : 's'}
                {of > statements ? ` (the newest ${statements} of ${of})` : ''}.
              </p>
            </Section>
            {r.rows.length === 0 ? (
              <Section title="Nothing yet">
                <p>No settled statement shows your sites serving another operator's tenants.</p>
              </Section>
            ) : (
              <>
                <Section title="Requests per period, by home operator">
                  <PeriodChart report={r} />
                </Section>
                <Section title="By home operator">
                  <PartnerTable report={r} />
                </Section>
                <Section title="By period and model">
                  <RowsTable report={r} />
                </Section>
              </>
            )}
          </>
        )}
      </Loaded>
    </>
  );
}

function PeriodChart({ report }: { report: TrafficReport }) {
  const data = report.byPeriod.map((p) => ({ ...p, label: String(p.period).slice(0, 16).replace('T', ' ') }));
  return (
    <figure
      className="chart traffic-chart"
      aria-label="Requests served per period, stacked by home operator"
      style={{ margin: 0 }}
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="label" tick={{ fontSize: 12 }} />
          <YAxis allowDecimals={false} width={40} />
          <Tooltip />
          <Legend />
          {report.homeOperators.map((h, i) => (
            <Bar key={h} dataKey={h} stackId="requests" fill={COLOURS[i % COLOURS.length]} name={h} />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

function PartnerTable({ report }: { report: TrafficReport }) {
  return (
    <TableScroll label="Traffic by home operator">
      <table>
        <thead>
          <tr>
            <th scope="col">Home operator</th>
            <th scope="col" className="num">
              Requests
            </th>
            <th scope="col" className="num">
              Tokens in / out
            </th>
            <th scope="col" className="num">
              Settled
            </th>
          </tr>
        </thead>
        <tbody>
          {report.byPartner.map((p) => (
            <tr key={`${p.homeOperator}-${p.currency}`}>
              <th scope="row">{p.homeOperator}</th>
              <td className="num">{p.requests}</td>
              <td className="num">
                {p.inputTokens} / {p.outputTokens}
              </td>
              <td className="num">{formatMoney(p.amount, p.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function RowsTable({ report }: { report: TrafficReport }) {
  return (
    <TableScroll label="Traffic by period and model">
      <table>
        <thead>
          <tr>
            <th scope="col">Period</th>
            <th scope="col">Home operator</th>
            <th scope="col">Model</th>
            <th scope="col" className="num">
              Requests
            </th>
            <th scope="col" className="num">
              Tokens in / out
            </th>
            <th scope="col" className="num">
              Settled
            </th>
          </tr>
        </thead>
        <tbody>
          {report.rows.map((r) => (
            <tr key={`${r.period}-${r.homeOperator}-${r.model}-${r.currency}`}>
              <th scope="row">{r.period}</th>
              <td>{r.homeOperator}</td>
              <td>{r.model}</td>
              <td className="num">{r.requests}</td>
              <td className="num">
                {r.inputTokens} / {r.outputTokens}
              </td>
              <td className="num">{formatMoney(r.amount, r.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
