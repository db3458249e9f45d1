import { useMemo } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatMoney } from '../../ui/money';
import { TableScroll } from '../../ui/parts';
import {
  DIMENSIONS,
  bucketLabel,
  bucketWidthText,
  totalsBy,
  usageSeries,
  type Dimension,
  type Measure,
  type UsagePoint,
} from './usage-series';

/** Distinct colours with at least 3:1 contrast on white (WCAG for graphics); repeated past eight. */
const PALETTE = ['#0b5cad', '#b35900', '#1d6b34', '#8e2a8a', '#a4161a', '#00727a', '#5c4d00', '#4a5360'];

/** Usage over time, stacked by model, site or jurisdiction; its totals also as a table. */
export function UsageChart({
  records,
  dimension,
  measure,
  currency,
}: {
  records: readonly UsagePoint[];
  dimension: Dimension;
  measure: Measure;
  currency: string;
}) {
  const series = useMemo(() => usageSeries(records, dimension, measure), [records, dimension, measure]);
  const totals = useMemo(() => totalsBy(records, dimension, measure), [records, dimension, measure]);
  const data = useMemo(
    () => series.buckets.map((b) => ({ label: bucketLabel(b.start, series.bucketMs), ...b })),
    [series],
  );
  const show = (v: number) => (measure === 'charge' ? formatMoney(v, currency) : v.toLocaleString('en'));
  const dimensionLabel = DIMENSIONS.find((d) => d.value === dimension)?.label ?? dimension;
  const measureLabel = measure === 'tokens' ? 'Tokens' : `Charge (${currency})`;

  return (
    <>
      <figure
        className="usage-figure"
        aria-label={`${measureLabel} over time by ${dimensionLabel.toLowerCase()}`}
      >
        <div className="chart" data-testid="usage-chart">
          <ResponsiveContainer width="100%" height="100%">
            <BarChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#cfd5dd" />
              <XAxis dataKey="label" tick={{ fontSize: 12 }} minTickGap={12} />
              <YAxis
                tick={{ fontSize: 12 }}
                width={64}
                tickFormatter={(v: number) => (measure === 'charge' ? unitsTick(v) : v.toLocaleString('en'))}
              />
              <Tooltip formatter={(v) => show(Number(v))} />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              {series.keys.map((key, i) => (
                <Bar
                  key={key}
                  name={key}
                  dataKey={(d: { values: Record<string, number> }) => d.values[key] ?? 0}
                  stackId="usage"
                  fill={PALETTE[i % PALETTE.length]}
                  isAnimationActive={false}
                />
              ))}
            </BarChart>
          </ResponsiveContainer>
        </div>
        <figcaption className="usage-caption">
          {measureLabel} per {bucketWidthText(series.bucketMs)} bucket (UTC), stacked by{' '}
          {dimensionLabel.toLowerCase()}.
        </figcaption>
      </figure>
      <TableScroll label={`Totals by ${dimensionLabel.toLowerCase()}`}>
        <table className="tenant-table" data-testid="usage-totals">
          <caption className="usage-caption">Totals by {dimensionLabel.toLowerCase()}</caption>
          <thead>
            <tr>
              <th scope="col">{dimensionLabel}</th>
              <th scope="col" className="num">
                Requests
              </th>
              <th scope="col" className="num">
                {measureLabel}
              </th>
            </tr>
          </thead>
          <tbody>
            {totals.map((t) => (
              <tr key={t.key}>
                <th scope="row">{t.key}</th>
                <td className="num">{t.requests}</td>
                <td className="num">{show(t.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </>
  );
}

/** A micro-unit amount as units with enough digits to tell ticks apart (a request costs fractions of a cent). */
function unitsTick(micros: number): string {
  return micros === 0 ? '0' : String(Number((micros / 1_000_000).toPrecision(2)));
}
