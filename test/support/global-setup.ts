/**
 * Integration suites share one real Temporal dev server and one real Redis (test profile), started
 * here unless already running, and one workflow bundle built once per run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { WORKFLOWS_PATH } from '@federa/worker';
import { PROFILES, dataDir, ensureRedis, ensureTemporal, type RunningService } from '../../scripts/infra';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    redisUrl: string;
    workflowBundlePath: string;
  }
}

let services: RunningService[] = [];

export async function setup(project: TestProject) {
  const profile = PROFILES.test;
  const [temporal, redis, bundle] = await Promise.all([
    ensureTemporal(profile),
    ensureRedis(profile),
    bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
    }),
  ]);
  services = [temporal, redis];
  const bundlePath = join(dataDir(profile), 'workflow-bundle.js');
  mkdirSync(dataDir(profile), { recursive: true });
  writeFileSync(bundlePath, bundle.code);
  project.provide('temporalAddress', temporal.address);
  project.provide('redisUrl', redis.address);
  project.provide('workflowBundlePath', bundlePath);
}

export async function teardown() {
  await Promise.all(services.map((s) => s.stop()));
}
