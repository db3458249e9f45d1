/**
 * The `stack` project's global setup: the production-like stack (scripts/stack/stack.ts) instead of
 * the dev server and single Redis. The integration core runs unchanged against it, through the same
 * `inject` keys: Temporal through the load balancer in front of the two server processes, Redis as
 * the 3 + 3 cluster. The stack's own API replicas serve test/stack/*.test.ts through HAProxy.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { WORKFLOWS_PATH } from '@federa/worker';
import { ProductionLikeStack } from '../../scripts/stack/stack';
import { STACK_DIR } from '../../scripts/stack/layout';

declare module 'vitest' {
  export interface ProvidedContext {
    stackApiUrl: string;
    /** the stack's signing key (tests mint tenant and admin tokens with it) */
    stackSigningKeyFile: string;
    /** the sites run in network namespaces behind WAN link delays (false: loopback, no delay) */
    stackWithNetworkDelay: boolean;
  }
}

let stack: ProductionLikeStack | undefined;

export async function setup(project: TestProject) {
  stack = new ProductionLikeStack({
    apiReplicas: 2,
    controlWorkers: 2,
    // every run starts from empty stores: what the tests read back is what they did
    fresh: true,
    log: (line) => console.warn(`[stack] ${line}`),
    onUnexpectedExit: (name, code) => console.error(`[stack] ${name} exited unexpectedly (${code})`),
  });
  const [bundle] = await Promise.all([
    bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} },
    }),
    stack.start(),
  ]);
  const dir = join(STACK_DIR, 'test');
  mkdirSync(dir, { recursive: true });
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  project.provide('temporalAddress', stack.temporalAddress);
  project.provide('redisUrl', stack.redisUrl);
  project.provide('redisClusterNodes', stack.redisSeeds);
  project.provide('workflowBundlePath', bundlePath);
  project.provide('stackApiUrl', stack.apiUrl);
  project.provide('stackSigningKeyFile', join(STACK_DIR, 'keys', 'signing-key.json'));
  project.provide('stackWithNetworkDelay', stack.withNetworkDelay);
}

export async function teardown() {
  await stack?.stop();
}
