import { useMemo, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { formatMoney } from '../../ui/money';
import { Loaded, PageTitle, Section, TableScroll } from '../../ui/parts';
import { UsageChart } from './usage-chart';
import { DIMENSIONS, servedWhere, type Dimension, type Measure } from './usage-series';
import { UsageTable } from './usage-table';
import './tenant.css';

/** The most records the page reads (usage.list's own ceiling per call): a recent window, said so. */
const WINDOW = 500;
/** Rows of the request table shown at first; more on demand. */
const FIRST_ROWS = 50;

/** Usage over time by model, site and jurisdiction; where requests were served and why. */
export default function TenantUsage() {
  const usage = useQuery({
    queryKey: ['usage.list', { limit: WINDOW }],
    queryFn: ({ signal }) => api.usage.list.query({ limit: WINDOW }, { signal }),
    refetchInterval: 10_000,
  });
  const [dimension, setDimension] = useState<Dimension>('model');
  const [measure, setMeasure] = useState<Measure>('tokens');
  const [rows, setRows] = useState(FIRST_ROWS);

  return (
    <>
      <PageTitle lead="Your requests: how much, where they were served and why.">Usage</PageTitle>
      <Loaded query={usage}>
        {({ records, nextBefore }) => {
          const currency = records[0]?.currency ?? 'EUR';
          return (
            <>
              <p data-testid="usage-window">
                {nextBefore
                  ? `Showing your latest ${records.length} requests; older ones are not included here.`
                  : `Showing all ${records.length} of your recorded requests (up to the latest ${WINDOW}).`}
              </p>
              {records.length === 0 ? (
                <Section title="No usage yet">
                  <p>Requests you make appear here once they have been served.</p>
                </Section>
              ) : (
                <>
                  <Section title="Usage over time">
                    <div className="usage-chart-controls">
                      <div className="field">
                        <label htmlFor="usage-dimension">Split by</label>
                        <select
                          id="usage-dimension"
                          value={dimension}
                          onChange={(e) => setDimension(e.target.value as Dimension)}
                        >
                          {DIMENSIONS.map((d) => (
                            <option key={d.value} value={d.value}>
                              {d.label}
                            </option>
                          ))}
                        </select>
                      </div>
                      <div className="field">
                        <label htmlFor="usage-measure">Show</label>
                        <select
                          id="usage-measure"
                          value={measure}
                          onChange={(e) => setMeasure(e.target.value as Measure)}
                        >
                          <option value="tokens">Tokens</option>
                          <option value="charge">Charge</option>
                        </select>
                      </div>
                    </div>
                    <UsageChart
                      records={records}
                      dimension={dimension}
                      measure={measure}
                      currency={currency}
                    />
                  </Section>
                  <Section title="Where your requests were served">
                    <ServedWhere records={records} currency={currency} />
                  </Section>
                  <Section title="Recent requests">
                    <UsageTable records={records.slice(0, rows)} />
                    {records.length > rows ? (
                      <button type="button" onClick={() => setRows((n) => n + FIRST_ROWS)}>
                        Show {Math.min(FIRST_ROWS, records.length - rows)} more
                      </button>
                    ) : null}
                  </Section>
                </>
              )}
            </>
          );
        }}
      </Loaded>
    </>
  );
}

function ServedWhere({
  records,
  currency,
}: {
  records: Parameters<typeof servedWhere>[0];
  currency: string;
}) {
  const sites = useMemo(() => servedWhere(records), [records]);
  return (
    <TableScroll label="Where served">
      <table className="tenant-table" data-testid="served-where">
        <thead>
          <tr>
            <th scope="col">Site</th>
            <th scope="col">Jurisdiction</th>
            <th scope="col">Operator</th>
            <th scope="col" className="num">
              Requests
            </th>
            <th scope="col" className="num">
              Tokens
            </th>
            <th scope="col" className="num">
              Charge
            </th>
          </tr>
        </thead>
        <tbody>
          {sites.map((s) => (
            <tr key={s.siteId}>
              <th scope="row">
                <code>{s.siteId}</code>
              </th>
              <td>{s.jurisdiction}</td>
              <td>{s.servingOperator}</td>
              <td className="num">{s.requests}</td>
              <td className="num">{s.tokens.toLocaleString('en')}</td>
              <td className="num">{formatMoney(s.charge, currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
