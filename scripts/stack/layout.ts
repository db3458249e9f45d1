/**
 * Where everything of the production-like stack lives on this machine: ports, addresses, the sites
 * and their distance from the federation's core, and the topology the apps are seeded with. One
 * place, so the stack, its tests and its benches agree.
 *
 * The core (Temporal, Redis, the APIs and control workers) stands for a Frankfurt data centre. Each
 * site runs in its own network namespace with its agent and its GPU endpoint (the emulator), and
 * the link between core and site carries the round trip of the real distance (netns.ts says how).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTopology, type Topology } from '@federa/domain';
import { ROOT } from '../paths';

export const STACK_DIR = join(ROOT, '.data', 'stack');

/** the root namespace's address on the sites' bridge (RFC 2544's benchmark range: our namespaces only) */
export const BRIDGE_HOST = '198.18.0.1';
export const NAMESPACE_PREFIX = 'fed-';

export const PORTS = {
  postgres: 5433,
  /** first Temporal frontend port; the servers' other services follow (temporal-cluster.ts) */
  temporalBase: 7263,
  /** HAProxy: one address for the Temporal frontends (TCP), reachable from the sites' namespaces too */
  temporalProxy: 7260,
  redis: [7311, 7312, 7313, 7314, 7315, 7316],
  /** HAProxy: the OpenAI and tRPC surface, in front of the API replicas */
  api: 8800,
  apiReplicas: [8801, 8802],
  apiMetrics: [9481, 9482],
  workerMetrics: [9491, 9492],
  /** inside each site's namespace (one address per site, so the same ports everywhere) */
  siteEndpoint: 9800,
  agentDataPlane: 9700,
} as const;

export interface StackSite {
  readonly id: string;
  /** its address inside its namespace */
  readonly address: string;
  /** round trip from the core (Frankfurt) to the site */
  readonly rttMs: number;
}

/**
 * The sites, with round trips from Frankfurt as public latency maps give them: a metro link, Paris,
 * the US east coast, Tokyo.
 */
export const STACK_SITES: readonly StackSite[] = [
  { id: 'rhein-fra', address: '198.18.0.11', rttMs: 2 },
  { id: 'lumiere-par', address: '198.18.0.12', rttMs: 10 },
  { id: 'pacific-ash', address: '198.18.0.13', rttMs: 80 },
  { id: 'pacific-tyo', address: '198.18.0.14', rttMs: 230 },
];

export const STACK_TENANTS = ['acme-eu', 'bleu-sante', 'globex'] as const;

/**
 * The stack's topology: the dev federation's operators and tenants, cut to the stack's sites, each
 * site's endpoint where its emulator listens (in its namespace, or on loopback without namespaces).
 * Budgets are raised so that a chaos or load run of thousands of requests never exhausts them.
 */
export function stackTopology(
  siteEndpoint: (site: StackSite, index: number) => { host: string; port: number },
): Topology {
  const dev = parseTopology(JSON.parse(readFileSync(join(ROOT, 'deploy', 'dev', 'topology.json'), 'utf8')));
  const sites = STACK_SITES.map((stackSite, index) => {
    const site = dev.sites.find((s) => s.id === stackSite.id);
    if (!site?.emulator) throw new Error(`the dev topology has no emulated site ${stackSite.id}`);
    const { host, port } = siteEndpoint(stackSite, index);
    // answers as long as max_tokens asks (up to 4,096): a chaos run's streams last long enough
    // for a fault to land mid-stream
    return {
      ...site,
      endpoint: `http://${host}:${port}`,
      emulator: { ...site.emulator, port, completionTokens: 4096 },
    };
  });
  const tenants = dev.tenants
    .filter((t) => (STACK_TENANTS as readonly string[]).includes(t.id))
    .map((t) => ({ ...t, budget: 100_000_000_000 }));
  const operators = new Set([...sites.map((s) => s.operator), ...tenants.map((t) => t.homeOperator)]);
  return parseTopology({
    ...dev,
    name: 'federa-stack',
    // holds expire after a minute (the dev federation's ten): a chaos run then sees the sweeper
    // release whatever a fault stranded, and can check that none outlives its expiry
    routing: { ...dev.routing, holdTtlMs: 60_000 },
    operators: dev.operators.filter((o) => operators.has(o.id)),
    sites,
    tenants,
  });
}

export function writeStackTopology(file: string, topology: Topology): string {
  writeFileSync(file, JSON.stringify(topology, null, 2));
  return file;
}
