/**
 * How each API answer reads in a terminal. The table keeps what an operator scans for; --json
 * prints the answer unchanged for scripts and for the fields left out here.
 */
import type { Outputs } from './client';
import { formatRecord, formatTable, truncate } from './table';

type Site = Outputs['sites']['list'][number];
type Policy = Outputs['policy']['get'];
type Tenant = Outputs['tenants']['list'][number];

/** Keeps audit rows on one line on a normal terminal. */
const AUDIT_VALUE_WIDTH = 48;

export function renderSites(sites: readonly Site[]): string {
  return formatTable(
    ['SITE', 'OPERATOR', 'JURISDICTION', 'CITY', 'STATUS', 'MODELS (CAPACITY)', 'ENDPOINT'],
    sites.map((s) => [
      s.id,
      s.operator,
      s.jurisdiction,
      s.city,
      s.status,
      s.models.map((m) => `${m.id}(${m.capacity})`).join(', '),
      s.endpoint,
    ]),
  );
}

export function renderHealth(health: Outputs['sites']['health']): string {
  const table = formatTable(
    [
      'SITE',
      'OPERATOR',
      'STATUS',
      'AGENT',
      'CIRCUIT',
      'FAILURES',
      'OPENED AT',
      'PROBE RTT MS',
      'INFLIGHT',
      'CAPACITY',
    ],
    health.sites.map((h) => [
      h.siteId,
      h.operator,
      h.status,
      h.agent,
      h.circuit,
      h.consecutiveFailures,
      h.openedAt,
      h.lastProbeRttMs,
      h.inflight,
      Object.values(h.capacity).reduce((a, b) => a + b, 0),
    ]),
  );
  if (!health.redis) return table;
  const { usedBytes, maxBytes, policy } = health.redis;
  const share =
    maxBytes > 0 ? ` (${((100 * usedBytes) / maxBytes).toFixed(1)}% of ${maxBytes})` : ' (no limit)';
  return `${table}\n\nredis memory: ${usedBytes} bytes used${share}, policy ${policy}`;
}

export function renderAllowedEndpoints(lists: Outputs['sites']['allowedEndpoints']): string {
  return formatTable(
    ['OPERATOR', 'ALLOWED ENDPOINTS'],
    lists.map((l) => [l.operator, l.allowedEndpoints.join(' ') || '(none: no site can be registered)']),
  );
}

export function renderPolicy(p: Policy): string {
  const record = formatRecord([
    ['version', p.version],
    ['weights.latency', p.weights.latency],
    ['weights.load', p.weights.load],
    ['weights.price', p.weights.price],
    ['preferHome', preferHome(p.preferHome)],
    ['maxFailoverAttempts', p.maxFailoverAttempts],
    ['holdTtlMs', p.holdTtlMs],
  ]);
  const overrides = Object.entries(p.tenantOverrides);
  if (overrides.length === 0) return `${record}\n\ntenant overrides: none`;
  const table = formatTable(
    ['TENANT', 'WEIGHTS (LAT/LOAD/PRICE)', 'PREFER HOME', 'MAX FAILOVER', 'EXCLUDED SITES'],
    overrides.map(([tenant, o]) => [
      tenant,
      o.weights ? `${o.weights.latency}/${o.weights.load}/${o.weights.price}` : null,
      o.preferHome ? preferHome(o.preferHome) : null,
      o.maxFailoverAttempts,
      o.excludedSites.join(', '),
    ]),
  );
  return `${record}\n\ntenant overrides:\n${table}`;
}

export function renderPolicyHistory(history: readonly Policy[]): string {
  return formatTable(
    ['VERSION', 'LATENCY', 'LOAD', 'PRICE', 'PREFER HOME', 'MAX FAILOVER', 'HOLD TTL MS', 'OVERRIDES'],
    history.map((p) => [
      p.version,
      p.weights.latency,
      p.weights.load,
      p.weights.price,
      preferHome(p.preferHome),
      p.maxFailoverAttempts,
      p.holdTtlMs,
      Object.keys(p.tenantOverrides).length,
    ]),
  );
}

function preferHome(p: Policy['preferHome']): string {
  return p.mode === 'margin' ? `margin ${p.marginMs}ms` : p.mode;
}

export function renderTenants(tenants: readonly Tenant[]): string {
  return formatTable(
    ['TENANT', 'NAME', 'HOME OPERATOR', 'RESIDENCY', 'BUDGET', 'MODE', 'TOKENS/MIN', 'REGION'],
    tenants.map((t) => [
      t.id,
      t.name,
      t.homeOperator,
      t.residency.join(','),
      t.budget,
      t.budgetMode,
      t.tokensPerMinute,
      t.region,
    ]),
  );
}

export function renderRateCards(cards: Outputs['rateCards']['list']): string {
  return formatTable(
    [
      'OPERATOR',
      'MODEL',
      'EFFECTIVE FROM',
      'RETAIL IN/1M',
      'RETAIL OUT/1M',
      'WHOLESALE IN/1M',
      'WHOLESALE OUT/1M',
    ],
    cards.map((c) => [
      c.operator,
      c.model,
      c.effectiveFrom,
      c.retail.inputPer1M,
      c.retail.outputPer1M,
      c.wholesale.inputPer1M,
      c.wholesale.outputPer1M,
    ]),
  );
}

export function renderExplain(d: Outputs['routing']['explain']): string {
  const head = formatRecord([
    ['model', d.model],
    ['policy version', d.policyVersion],
    ['allowed jurisdictions', d.allowedJurisdictions.join(', ')],
  ]);
  const candidates =
    d.candidates.length === 0
      ? 'candidates: none (no site may serve this request)'
      : `candidates (best first):\n${formatTable(
          ['RANK', 'SITE', 'OPERATOR', 'JURISDICTION', 'LATENCY MS', 'SOURCE', 'LOAD', 'HOME'],
          d.candidates.map((c) => [
            c.rank,
            c.siteId,
            c.operatorId,
            c.jurisdiction,
            c.latencyMs,
            c.latencySource,
            c.load,
            c.home,
          ]),
        )}`;
  const excluded =
    d.excluded.length === 0
      ? 'excluded: none'
      : `excluded:\n${formatTable(
          ['SITE', 'JURISDICTION', 'REASON'],
          d.excluded.map((e) => [e.siteId, e.jurisdiction, e.reason]),
        )}`;
  return [head, candidates, excluded].join('\n\n');
}

export function renderAudit(page: Outputs['audit']['list']): string {
  const table = formatTable(
    ['ID', 'AT', 'ACTOR', 'PROCEDURE', 'TARGET', 'BEFORE', 'AFTER'],
    page.entries.map((e) => [
      e.id,
      e.at,
      `${e.actor.role}:${e.actor.subject}`,
      e.procedure,
      e.target,
      compact(e.before),
      compact(e.after),
    ]),
  );
  return page.nextBefore ? `${table}\n\nmore: --before ${page.nextBefore}` : table;
}

function compact(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return truncate(JSON.stringify(value), AUDIT_VALUE_WIDTH);
}
