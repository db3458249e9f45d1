import { describe, expect, it } from 'vitest';
import { FederaError } from '@federa/domain';
import { Admission, ClientGoneError } from './admission';

/** A job that runs until released, recording its start. */
function gate(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return {
    release: () => release(),
    fn: async () => {
      log.push(name);
      await done;
      return name;
    },
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('admission', () => {
  it('hands freed slots to tenants in turn: a flooding tenant cannot starve another', async () => {
    const admission = new Admission(1, 100, { maxQueuedPerTenant: 100 });
    const log: string[] = [];
    const jobs = [
      ...Array.from({ length: 5 }, (_, i) => ['flood', `flood-${i}`] as const),
      ['quiet', 'quiet-0'] as const,
    ].map(([tenantId, name]) => {
      const g = gate(log, name);
      return { g, run: admission.run({ tenantId, bytes: 1 }, g.fn) };
    });
    for (const { g } of jobs) {
      await tick();
      g.release();
    }
    await Promise.all(jobs.map((j) => j.run));
    // flood-0 ran at once; quiet-0 waits for one more of the flood's requests, not for all of them
    expect(log).toEqual(['flood-0', 'flood-1', 'quiet-0', 'flood-2', 'flood-3', 'flood-4']);
  });

  it("caps each tenant's queue: the flooder is refused, others still queue", async () => {
    const admission = new Admission(1, 100, { maxQueuedPerTenant: 2 });
    const log: string[] = [];
    const first = gate(log, 'a-0');
    const running = admission.run({ tenantId: 'a', bytes: 1 }, first.fn);
    const queued = [
      admission.run({ tenantId: 'a', bytes: 1 }, async () => 'a-1'),
      admission.run({ tenantId: 'a', bytes: 1 }, async () => 'a-2'),
    ];
    await expect(admission.run({ tenantId: 'a', bytes: 1 }, async () => 'a-3')).rejects.toMatchObject({
      code: 'OVERLOADED',
    });
    const other = admission.run({ tenantId: 'b', bytes: 1 }, async () => 'b-0');
    first.release();
    expect(await Promise.all([running, ...queued, other])).toEqual(['a-0', 'a-1', 'a-2', 'b-0']);
  });

  it('refuses a request that waited past the deadline with OVERLOADED and a retry hint', async () => {
    const admission = new Admission(1, 100, { maxWaitMs: 20 });
    const first = gate([], 'first');
    const running = admission.run({ tenantId: 'a', bytes: 1 }, first.fn);
    let ran = false;
    const late = admission.run({ tenantId: 'b', bytes: 1 }, async () => (ran = true));
    await expect(late).rejects.toBeInstanceOf(FederaError);
    await expect(late).rejects.toMatchObject({ code: 'OVERLOADED', details: { retryAfterMs: 1000 } });
    first.release();
    await running;
    expect(ran).toBe(false);
    expect(admission.stats).toEqual({ inFlight: 0, queued: 0, queuedBytes: 0 });
  });

  it('bounds the bytes waiting requests hold', async () => {
    const admission = new Admission(1, 100, { maxQueuedBytes: 1000 });
    const first = gate([], 'first');
    const running = admission.run({ tenantId: 'a', bytes: 10_000 }, first.fn); // running: not queued
    const small = admission.run({ tenantId: 'b', bytes: 600 }, async () => 'small');
    await expect(admission.run({ tenantId: 'c', bytes: 600 }, async () => 'big')).rejects.toMatchObject({
      code: 'OVERLOADED',
    });
    expect(admission.stats.queuedBytes).toBe(600);
    first.release();
    expect(await Promise.all([running, small])).toEqual(['first', 'small']);
  });

  it('drops a waiting request whose client disconnected: it never runs, the slot goes on', async () => {
    const admission = new Admission(1, 100);
    const first = gate([], 'first');
    const running = admission.run({ tenantId: 'a', bytes: 1 }, first.fn);
    const client = new AbortController();
    let ran = false;
    const deserted = admission.run(
      { tenantId: 'b', bytes: 1, signal: client.signal },
      async () => (ran = true),
    );
    const next = admission.run({ tenantId: 'c', bytes: 1 }, async () => 'next');
    client.abort();
    await expect(deserted).rejects.toBeInstanceOf(ClientGoneError);
    first.release();
    expect(await Promise.all([running, next])).toEqual(['first', 'next']);
    expect(ran).toBe(false);
    // a client already gone is refused before queueing
    await expect(
      admission.run({ tenantId: 'b', bytes: 1, signal: client.signal }, async () => 1),
    ).rejects.toBeInstanceOf(ClientGoneError);
  });
});
