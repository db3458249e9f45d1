/**
 * `federa ledger audit`, run as an operator would (the CLI against Temporal and Redis): it passes
 * on a healthy run and reports a planted record that no request workflow accounts for.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tenantKeys } from '@federa/ledger';
import { chat, startFederation, uniqueSuffix, type Federation } from '../support/harness';
import { testTopology } from '../support/topology';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

describe('federa ledger audit', () => {
  const s = uniqueSuffix();
  const tenant = `${s}-eu`;
  let fed: Federation;
  const from = new Date(Date.now() - 60_000).toISOString();

  beforeAll(async () => {
    fed = await startFederation(testTopology(s));
  });
  afterAll(async () => fed?.close());

  async function audit(): Promise<{ code: number; report: any }> {
    const args = [
      '--import',
      'tsx',
      'apps/cli/src/main.ts',
      'ledger',
      'audit',
      '--from',
      from,
      '--to',
      new Date(Date.now() + 60_000).toISOString(),
      '--redis',
      fed.redisUrl,
      '--temporal',
      inject('temporalAddress'),
      '--namespace',
      'default',
      '--federation',
      fed.topology.topology.name,
      '--task-queue',
      fed.controlTaskQueue,
      '--json',
    ];
    try {
      const { stdout } = await run(process.execPath, args, { cwd: ROOT });
      return { code: 0, report: JSON.parse(stdout) };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      if (typeof e.code !== 'number' || !e.stdout) throw err;
      return { code: e.code, report: JSON.parse(e.stdout) };
    }
  }

  it('passes on a healthy run and fails, naming it, on a record without a workflow', async () => {
    const token = await fed.token('tenant', tenant);
    for (const id of ['audit-1', 'audit-2', 'audit-3']) {
      expect((await fed.call('inference.complete', chat(id), token)).status).toBe(200);
    }
    // a refused request has a failed workflow and no record: not a mismatch
    await fed.call('inference.complete', chat('audit-refused', { model: 'no-such-model' }), token);

    // visibility is eventually consistent: wait until it lists the three completed requests
    let healthy = await audit();
    for (let i = 0; i < 50 && healthy.report.workflows < 3; i++) {
      await sleep(200);
      healthy = await audit();
    }
    expect(healthy.code).toBe(0);
    expect(healthy.report).toMatchObject({ ok: true, workflows: 3, records: 3, matched: 3, mismatches: [] });

    // a usage record appended without any request workflow
    const [record] = await fed.ledger.listUsage(tenant, { limit: 1 });
    const planted = { ...record, requestId: 'planted-1', recordId: undefined };
    const plantedId = await fed.redis.xadd(tenantKeys(tenant).usage, '*', 'record', JSON.stringify(planted));
    const broken = await audit();
    expect(broken.code).toBe(1);
    expect(broken.report.ok).toBe(false);
    expect(broken.report.mismatches).toEqual([
      { kind: 'NO_WORKFLOW', tenantId: tenant, requestId: 'planted-1', recordIds: [plantedId] },
    ]);
  }, 60_000);
});
