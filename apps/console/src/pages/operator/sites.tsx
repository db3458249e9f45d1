import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, type RouterOutputs } from '../../api/client';
import { ErrorBanner } from '../../ui/error-banner';
import { Loaded, PageTitle, Section, Stat, TableScroll, formatTime } from '../../ui/parts';
import { ConfirmButton } from '../../ui/confirm-button';
import { OperatorFilter, useOperatorFilter } from './operator-filter';
import './operator.css';

type SiteHealth = RouterOutputs['sites']['health']['sites'][number];
type SiteInfo = RouterOutputs['sites']['list'][number];

/** how often the page asks again: "requests measured" visibly grows while a site serves */
const REFRESH_MS = 3_000;

/** Health, load and latency of the operator's sites (every site for an admin), with drain/undrain. */
export default function Sites() {
  const { isAdmin } = useOperatorFilter();
  const [operator, setOperator] = useState('');
  const input = operator ? { operator } : {};
  const health = useQuery({
    queryKey: ['sites.health', input],
    queryFn: ({ signal }) => api.sites.health.query(input, { signal }),
    refetchInterval: REFRESH_MS,
  });
  const list = useQuery({
    queryKey: ['sites.list', input],
    queryFn: ({ signal }) => api.sites.list.query(input, { signal }),
  });
  const byId = new Map((list.data ?? []).map((s) => [s.id, s]));
  return (
    <>
      <PageTitle lead="Circuit breaker, probes, load and the latency the router ranks your sites by. Refreshed every few seconds; each served request adds one latency sample.">
        Sites
      </PageTitle>
      {isAdmin ? <OperatorFilter value={operator} onChange={setOperator} /> : null}
      <Loaded query={health}>
        {(h) => (
          <>
            <Section title="Overview">
              <div className="stats">
                <Stat label="Sites" value={h.sites.length} />
                <Stat label="Draining" value={h.sites.filter((s) => s.status === 'draining').length} />
                <Stat label="Circuit open" value={h.sites.filter((s) => s.circuit === 'open').length} />
                <Stat label="In flight" value={h.sites.reduce((n, s) => n + s.inflight, 0)} />
                <Stat label="Requests measured" value={h.sites.reduce((n, s) => n + measured(s), 0)} />
              </div>
            </Section>
            <Section title="Your sites">
              <SitesTable sites={h.sites} info={byId} showOperator={isAdmin} />
            </Section>
          </>
        )}
      </Loaded>
    </>
  );
}

const measured = (s: SiteHealth) => s.latency.reduce((n, l) => n + l.samples, 0);
const capacityOf = (s: SiteHealth) => Object.values(s.capacity).reduce((n, c) => n + c, 0);

function SitesTable({
  sites,
  info,
  showOperator,
}: {
  sites: readonly SiteHealth[];
  info: Map<string, SiteInfo>;
  showOperator: boolean;
}) {
  if (sites.length === 0) return <p>No sites registered.</p>;
  return (
    <TableScroll label="Sites">
      <table>
        <thead>
          <tr>
            <th scope="col">Site</th>
            {showOperator ? <th scope="col">Operator</th> : null}
            <th scope="col">Status</th>
            <th scope="col">Agent</th>
            <th scope="col">Circuit</th>
            <th scope="col" className="num">
              Probe RTT
            </th>
            <th scope="col" className="num">
              In flight
            </th>
            <th scope="col">
              <abbr title="Latency EWMA per client region (samples)">Latency EWMA</abbr>
            </th>
            <th scope="col" className="num">
              <abbr title="Requests measured: latency samples, one per served request">Measured</abbr>
            </th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {sites.map((s) => (
            <SiteRow key={s.siteId} site={s} info={info.get(s.siteId)} showOperator={showOperator} />
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function SiteRow({ site, info, showOperator }: { site: SiteHealth; info?: SiteInfo; showOperator: boolean }) {
  return (
    <tr data-testid={`site-${site.siteId}`}>
      <th scope="row">
        <code>{site.siteId}</code>
        {info ? (
          <span className="sub">
            {info.city} ({info.jurisdiction})
          </span>
        ) : null}
      </th>
      {showOperator ? <td>{site.operator}</td> : null}
      <td>
        <span className={`badge ${site.status === 'active' ? 'ok' : 'warn'}`} data-testid="status">
          {site.status}
        </span>
      </td>
      <td>
        <span className={`badge ${site.agent === 'live' ? 'ok' : 'bad'}`}>{site.agent}</span>
      </td>
      <td>
        <span className={`badge ${site.circuit === 'closed' ? 'ok' : 'bad'}`}>{site.circuit}</span>
        {site.consecutiveFailures > 0 ? (
          <span className="sub">{site.consecutiveFailures} failures in a row</span>
        ) : null}
        {site.openedAt ? <span className="sub">opened {formatTime(site.openedAt)}</span> : null}
      </td>
      <td className="num">{site.lastProbeRttMs === null ? '—' : `${site.lastProbeRttMs} ms`}</td>
      <td className="num">
        {site.inflight} / {capacityOf(site)}
      </td>
      <td>
        {site.latency.length === 0 ? (
          <span className="sub">no samples yet</span>
        ) : (
          <ul className="plain">
            {site.latency.map((l) => (
              <li key={l.region}>
                {l.region} {l.ewmaMs.toFixed(0)} ms <span className="sub-inline">({l.samples})</span>
              </li>
            ))}
          </ul>
        )}
      </td>
      <td className="num" data-testid="measured">
        {measured(site)}
      </td>
      <td>
        <DrainControl site={site} />
      </td>
    </tr>
  );
}

function DrainControl({ site }: { site: SiteHealth }) {
  const queryClient = useQueryClient();
  const draining = site.status === 'draining';
  const change = useMutation({
    mutationFn: () =>
      draining
        ? api.sites.undrain.mutate({ siteId: site.siteId })
        : api.sites.drain.mutate({ siteId: site.siteId }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['sites.health'] }),
  });
  return (
    <div className="stack">
      <ConfirmButton
        label={draining ? 'Undrain' : 'Drain'}
        accessibleLabel={draining ? `Undrain ${site.siteId}` : `Drain ${site.siteId}`}
        question={
          draining
            ? `Send new requests to ${site.siteId} again?`
            : `Stop routing new requests to ${site.siteId}? Requests already there finish.`
        }
        confirmLabel={draining ? 'Yes, undrain' : 'Yes, drain'}
        danger={!draining}
        busy={change.isPending}
        onConfirm={() => change.mutate()}
      />
      {change.error ? <ErrorBanner error={change.error} title="Not changed" /> : null}
    </div>
  );
}
