/**
 * Which sites' agents a worker process hosts (`FEDERA_SITE_AGENTS`), as selectors matched against
 * the registry's sites each time it changes, so a site registered at runtime gets an agent and a
 * removed one loses it:
 *
 *   all | *                    every site in the registry
 *   none                       no site (a control-only worker)
 *   a,b,operator:x,jurisdiction:FR
 *                              the sites named, every site of operator x, every site in France
 *
 * Two processes may host the same site: they share its task queue and Temporal spreads the work.
 */
import type { Site } from '@federa/domain';

export type AgentAssignment =
  | { readonly kind: 'all' }
  | {
      readonly kind: 'some';
      readonly sites: ReadonlySet<string>;
      readonly operators: ReadonlySet<string>;
      readonly jurisdictions: ReadonlySet<string>;
    };

export function parseAgentAssignment(spec: string): AgentAssignment {
  const trimmed = spec.trim();
  if (trimmed === 'all' || trimmed === '*') return { kind: 'all' };
  const sites = new Set<string>();
  const operators = new Set<string>();
  const jurisdictions = new Set<string>();
  for (const item of trimmed === 'none' ? [] : trimmed.split(',')) {
    const selector = item.trim();
    if (selector === '') continue;
    const [kind, value] = selector.includes(':') ? selector.split(':', 2) : ['site', selector];
    if (!value) throw new Error(`FEDERA_SITE_AGENTS: empty selector '${selector}'`);
    if (kind === 'site') sites.add(value);
    else if (kind === 'operator') operators.add(value);
    else if (kind === 'jurisdiction') jurisdictions.add(value.toUpperCase());
    else
      throw new Error(
        `FEDERA_SITE_AGENTS: unknown selector '${selector}' (site, operator: or jurisdiction:)`,
      );
  }
  return { kind: 'some', sites, operators, jurisdictions };
}

export function isAssigned(
  assignment: AgentAssignment,
  site: Pick<Site, 'id' | 'operator' | 'jurisdiction'>,
): boolean {
  if (assignment.kind === 'all') return true;
  return (
    assignment.sites.has(site.id) ||
    assignment.operators.has(site.operator) ||
    assignment.jurisdictions.has(site.jurisdiction)
  );
}
