/**
 * Determinism guard: histories recorded from real runs (served, failover, every site failed) must
 * replay against the current workflow code. A change that would break running workflows fails here.
 * Re-record with `temporal workflow show -w <id> -o json` when a change is meant to be incompatible
 * (and ship it behind `patched()`).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

const DIR = new URL('../fixtures/histories/', import.meta.url);
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

describe('workflow replay', () => {
  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it.each(files)('replays %s without non-determinism', async (file) => {
    try {
      Runtime.install({ logger: new DefaultLogger('ERROR') });
    } catch {
      // already installed in this process
    }
    // the SDK accepts the JSON form that `temporal workflow show -o json` writes
    const history: unknown = JSON.parse(readFileSync(new URL(file, DIR), 'utf8'));
    await expect(
      Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, file),
    ).resolves.toBeUndefined();
  });
});
