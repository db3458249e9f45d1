/**
 * A start-up check for FEDERA_REDIS_WAIT_REPLICAS: with fewer replicas than that behind a master,
 * every ledger write to its slots is refused (LEDGER_NOT_REPLICATED), so the apps say so at once
 * instead of leaving it to be discovered from refused requests.
 */
import type { Cluster, Redis } from 'ioredis';

async function connectedReplicas(node: Redis | Cluster): Promise<number> {
  const info = await node.info('replication');
  return Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0);
}

/** null when every master has at least `wanted` connected replicas, else what is missing. */
export async function replicaShortfall(client: Redis | Cluster, wanted: number): Promise<string | null> {
  if (wanted <= 0) return null;
  const masters = 'nodes' in client ? client.nodes('master') : [client];
  const counts = await Promise.all(
    masters.map(async (m) => ({
      at: `${m.options.host}:${m.options.port}`,
      replicas: await connectedReplicas(m),
    })),
  );
  const short = counts.filter((c) => c.replicas < wanted);
  if (masters.length > 0 && short.length === 0) return null;
  const which = short.map((c) => `${c.at} has ${c.replicas}`).join(', ') || 'no master is known yet';
  return `ledger writes wait for ${wanted} Redis replica(s) (FEDERA_REDIS_WAIT_REPLICAS) but ${which}: they will be refused with LEDGER_NOT_REPLICATED until replicas are connected`;
}
