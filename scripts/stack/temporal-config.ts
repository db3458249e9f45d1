/**
 * The YAML a Temporal server process reads (one file per process) and the dynamic config all of
 * them share. Every server runs the four services (frontend, history, matching, worker) on
 * 127.0.0.1 with ports of its own; they find each other through the cluster_membership table in
 * PostgreSQL (ringpop), so N processes form ONE cluster and any one of them can be killed.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Postgres } from './postgres';

export const TEMPORAL_BASE_PORT = 7263;
export const TEMPORAL_DB = 'temporal';
export const TEMPORAL_VISIBILITY_DB = 'temporal_visibility';
/** every server process binds here; distinct ports (not 127.0.0.2) also work on macOS laptops */
export const TEMPORAL_HOST = '127.0.0.1';
const MAX_SERVERS = 10;

export interface ServerPorts {
  /** the frontend's gRPC port: basePort + index (what clients and HAProxy use) */
  readonly frontend: number;
  readonly frontendMembership: number;
  readonly history: number;
  readonly historyMembership: number;
  readonly matching: number;
  readonly matchingMembership: number;
  readonly worker: number;
  readonly workerMembership: number;
  /** Prometheus metrics (/metrics) */
  readonly metrics: number;
}

/**
 * Frontends take basePort + index (7263, 7264); the internal ports sit 1000 higher in blocks of
 * ten per role (8263…8352 by default), away from the dev/test servers (7233-7253), the test
 * Redis Cluster (7301-7303) and the stack's (7311-7316).
 */
export function serverPorts(basePort: number, index: number): ServerPorts {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_SERVERS) {
    throw new Error(`a Temporal cluster here has 1 to ${MAX_SERVERS} servers (index ${index})`);
  }
  const internal = (role: number) => basePort + 1000 + role * MAX_SERVERS + index;
  return {
    frontend: basePort + index,
    frontendMembership: internal(0),
    history: internal(1),
    historyMembership: internal(2),
    matching: internal(3),
    matchingMembership: internal(4),
    worker: internal(5),
    workerMembership: internal(6),
    metrics: internal(7),
  };
}

/**
 * Dynamic config, polled by every server every 10 s (changes apply without a restart). Nothing is
 * needed for Federa on v1.32: workflow updates are on by default, and the dev server's
 * `frontend.enableExecuteMultiOperation` no longer exists (multi-operations are always on; the
 * server logs "unregistered key" for it).
 */
export const TEMPORAL_DYNAMIC_CONFIG: Record<string, unknown> = {
  // The dev server's poll-RPS tuning (infra.ts TEMPORAL_DEV_TUNING) is left out: measured on this
  // cluster (2 servers, 8 shards, one-activity workflow, loaded 2-core machine), p50 round trip
  // 210-213 ms without it vs 228-234 ms with it. The time goes to PostgreSQL commits instead:
  // synchronous_commit=off gave 160 ms, a durability trade this stack does not make.
};

export interface ServerConfigInput {
  readonly index: number;
  readonly servers: number;
  readonly basePort: number;
  readonly historyShards: number;
  readonly postgres: Postgres;
  readonly logLevel: 'warn' | 'info';
  readonly dynamicConfigFile: string;
}

function store(database: string, pg: Postgres, maxConns: number) {
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName: database,
      connectAddr: `${pg.host}:${pg.port}`,
      connectProtocol: 'tcp',
      user: pg.user,
      password: pg.password,
      // each of the 4 services of each process holds its own pools: 2 × 4 × (8 + 4) = 96
      // connections stay well under PostgreSQL's max_connections (200)
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

export function serverConfig(input: ServerConfigInput): Record<string, unknown> {
  const ports = serverPorts(input.basePort, input.index);
  const rpc = (grpcPort: number, membershipPort: number) => ({
    rpc: { grpcPort, membershipPort, bindOnIP: TEMPORAL_HOST },
  });
  return {
    log: { stdout: true, level: input.logLevel },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      // fixed when the cluster first starts: a later start with another count is refused
      numHistoryShards: input.historyShards,
      datastores: {
        'postgres-default': store(TEMPORAL_DB, input.postgres, 8),
        'postgres-visibility': store(TEMPORAL_VISIBILITY_DB, input.postgres, 4),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: TEMPORAL_HOST },
      // port 0: pprof off
      pprof: { port: 0 },
      metrics: {
        prometheus: {
          framework: 'tally',
          timerType: 'histogram',
          listenAddress: `${TEMPORAL_HOST}:${ports.metrics}`,
        },
      },
    },
    services: {
      frontend: rpc(ports.frontend, ports.frontendMembership),
      history: rpc(ports.history, ports.historyMembership),
      matching: rpc(ports.matching, ports.matchingMembership),
      worker: rpc(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `${TEMPORAL_HOST}:${serverPorts(input.basePort, 0).frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: input.dynamicConfigFile, pollInterval: '10s' },
  };
}

/** Writes dir/server-N.yaml (mode 600: it holds the database password) and dir/dynamicconfig.yaml. */
export function writeClusterConfigs(
  dir: string,
  input: Omit<ServerConfigInput, 'index' | 'dynamicConfigFile'>,
): string[] {
  const dynamicConfigFile = join(dir, 'dynamicconfig.yaml');
  const dynamic = Object.fromEntries(
    Object.entries(TEMPORAL_DYNAMIC_CONFIG).map(([key, value]) => [key, [{ value, constraints: {} }]]),
  );
  writeFileSync(dynamicConfigFile, stringify(dynamic));
  return Array.from({ length: input.servers }, (_, index) => {
    const file = join(dir, `server-${index}.yaml`);
    writeFileSync(file, stringify(serverConfig({ ...input, index, dynamicConfigFile })), { mode: 0o600 });
    chmodSync(file, 0o600);
    return file;
  });
}
