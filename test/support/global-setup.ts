/**
 * Integration suites share one real Temporal dev server and one real Redis (test profile), started
 * here unless already running, and one workflow bundle built once per run. Redis runs with ACL
 * users: `redisUrl` carries the services' user and password (redis://federa:…@127.0.0.1:6391), so
 * every suite authenticates without knowing about it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { WORKFLOWS_PATH } from '@federa/worker';
import {
  PROFILES,
  dataDir,
  ensureRedis,
  ensureRedisCluster,
  ensureTemporal,
  type RunningService,
} from '../../scripts/infra';

/** masters of the local Redis Cluster the ledger suite also runs against */
const CLUSTER_PORTS = [7301, 7302, 7303];

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    redisUrl: string;
    redisClusterNodes: string[];
    workflowBundlePath: string;
  }
}

let services: RunningService[] = [];

export async function setup(project: TestProject) {
  const profile = PROFILES.test;
  const [temporal, redis, cluster, bundle] = await Promise.all([
    ensureTemporal(profile),
    ensureRedis(profile),
    ensureRedisCluster(profile, CLUSTER_PORTS),
    bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
    }),
  ]);
  services = [temporal, redis, cluster];
  for (const s of services) if (s.note) console.warn(`[global-setup] ${s.name}: ${s.note}`);
  const bundlePath = join(dataDir(profile), 'workflow-bundle.js');
  mkdirSync(dataDir(profile), { recursive: true });
  writeFileSync(bundlePath, bundle.code);
  project.provide('temporalAddress', temporal.address);
  project.provide('redisUrl', redis.address);
  project.provide('redisClusterNodes', cluster.address.split(','));
  project.provide('workflowBundlePath', bundlePath);
}

export async function teardown() {
  await Promise.all(services.map((s) => s.stop()));
}
