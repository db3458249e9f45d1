/**
 * The pieces of the replicated Redis Cluster (redis-cluster.ts) that read one node: CLUSTER INFO /
 * CLUSTER NODES as data, and the node's config file (probes go through scripts/redis.ts's probeRedis).
 */
import type { RedisUser } from '../redis-auth';

export interface ClusterInfo {
  readonly state: string;
  readonly knownNodes: number;
  readonly slotsAssigned: number;
}

export function parseClusterInfo(text: string): ClusterInfo {
  const field = (name: string) => new RegExp(`^${name}:(\\S+)`, 'm').exec(text)?.[1] ?? '';
  return {
    state: field('cluster_state'),
    knownNodes: Number(field('cluster_known_nodes')) || 0,
    slotsAssigned: Number(field('cluster_slots_assigned')) || 0,
  };
}

export interface ClusterNodeLine {
  readonly id: string;
  readonly port: number;
  readonly role: 'master' | 'replica';
  /** the master's node id, for a replica */
  readonly masterId: string | null;
  /** flagged fail or pfail (unreachable) by the node that answered */
  readonly failing: boolean;
  readonly connected: boolean;
  readonly slots: number;
}

/** CLUSTER NODES: `<id> <ip:port@cport> <flags> <master|-> <ping> <pong> <epoch> <link> <slot>...` */
export function parseClusterNodes(text: string): ClusterNodeLine[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [id, address, flags, master, , , , link, ...slots] = line.split(' ');
      const flagSet = new Set((flags ?? '').split(','));
      const port = Number(/:(\d+)@/.exec(address ?? '')?.[1] ?? 0);
      const slotCount = slots.reduce((n, s) => {
        if (s.startsWith('[')) return n; // a slot being migrated
        const [a, b] = s.split('-').map(Number);
        return n + (b === undefined ? 1 : b - a! + 1);
      }, 0);
      return {
        id: id!,
        port,
        role: flagSet.has('slave') ? 'replica' : 'master',
        masterId: master && master !== '-' ? master : null,
        failing: flagSet.has('fail') || flagSet.has('fail?'),
        connected: link === 'connected',
        slots: slotCount,
      } satisfies ClusterNodeLine;
    });
}

/**
 * A node's redis.conf (mode 0600 by the caller): everything on the command line would show in `ps`,
 * and the replica's `masterauth` is a password.
 */
export function nodeConfig(o: {
  readonly port: number;
  readonly bind: readonly string[];
  readonly announceIp: string;
  readonly dir: string;
  readonly aclFile: string;
  readonly admin: RedisUser;
  readonly storageArgs: readonly string[];
  readonly nodeTimeoutMs: number;
}): string {
  const lines = [
    `port ${o.port}`,
    `bind ${o.bind.join(' ')}`,
    'protected-mode yes',
    `dir ${o.dir}`,
    `aclfile ${o.aclFile}`,
    // replicas authenticate to their master as the admin user (PSYNC, REPLCONF)
    `masteruser ${o.admin.user}`,
    `masterauth ${o.admin.password}`,
    'cluster-enabled yes',
    'cluster-config-file nodes.conf',
    `cluster-node-timeout ${o.nodeTimeoutMs}`,
    `cluster-announce-ip ${o.announceIp}`,
    // while one master is being failed over, the other masters' slots keep serving
    'cluster-require-full-coverage no',
    'daemonize no',
  ];
  const storage = [...o.storageArgs];
  for (let i = 0; i + 1 < storage.length; i += 2) {
    const value = storage[i + 1]!;
    lines.push(`${storage[i]!.replace(/^--/, '')} ${value === '' ? '""' : value}`);
  }
  return lines.join('\n') + '\n';
}
