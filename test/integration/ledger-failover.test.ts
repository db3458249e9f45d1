/**
 * The ledger on a replicated Redis Cluster (3 masters + 3 replicas, started here on its own ports)
 * when the master holding a tenant's slot is killed with -9 mid-stream. With durability (WAIT for 1
 * replica) every post that was acknowledged is on the promoted replica exactly once; without it,
 * the same scenario is measured (an acknowledged post CAN be lost; whether this run lost one is
 * printed). Also measured: the cost of WAIT per post, and the failover time.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger, tenantKeys } from '@federa/ledger';
import type { Cluster } from 'ioredis';
import { connectRedis, replicaShortfall } from '@federa/redis';
import { ROOT } from '../../scripts/paths';
import { ensureRedisCredentials } from '../../scripts/redis-auth';
import { startReplicatedCluster, type ReplicatedCluster } from '../../scripts/stack/redis-cluster';
import { probeRedis } from '../../scripts/redis';
import { uniqueSuffix } from '../support/harness';
import { CHARGE, checkPosted, percentile, postConcurrently } from '../support/ledger-load';

const PORTS = [7321, 7322, 7323, 7324, 7325, 7326];
const DIR = join(ROOT, '.data', 'test', 'redis-failover');
const DURABLE = { replicas: 1, timeoutMs: 500 };

interface Failover {
  readonly promotedAfterMs: number;
  readonly replicaBackAfterMs: number;
  /** posts acknowledged while the replica was cut off */
  readonly ackedWhileCut: number;
}

describe('the ledger on a 3 + 3 Redis Cluster when a master is killed', () => {
  let cluster: ReplicatedCluster;
  let redis: Cluster;

  beforeAll(async () => {
    cluster = await startReplicatedCluster({
      dir: DIR,
      ports: PORTS,
      replicasPerMaster: 1,
      bind: ['127.0.0.1'],
      announceIp: '127.0.0.1',
      secretsProfile: 'test',
      maxMemory: '256mb',
    });
    redis = connectRedis(cluster.url, { name: 'ledger-failover-test' }) as Cluster;
  }, 120_000);

  afterAll(async () => {
    redis?.disconnect();
    await cluster?.stop();
    rmSync(DIR, { recursive: true, force: true });
  }, 60_000);

  /** the port of the master serving the tenant's hash-tag slot */
  async function masterOf(tenantId: string): Promise<number> {
    const slot = Number(await redis.cluster('KEYSLOT', tenantKeys(tenantId).account));
    const ranges = await redis.cluster('SLOTS');
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (!range?.[2]) throw new Error(`no master serves slot ${slot}`);
    return range[2][1];
  }

  /**
   * Kill the master, wait until its replica is promoted (ms measured), then start the killed node
   * again as a process manager would: it rejoins as the new master's replica. With `cutMs`, the
   * replica is cut off first for that long, as a network partition between the two would: its
   * replication link is dropped and the replica is frozen (SIGSTOP) so it cannot reconnect, while
   * the master keeps serving clients; then the master dies and the replica thaws. Whatever the
   * master acknowledged meanwhile, its replica never got.
   */
  async function failOver(port: number, acked: () => number, cutMs?: number): Promise<Failover> {
    const replica = (await cluster.nodes()).find((n) => n.masterPort === port);
    if (replica?.pid === undefined) throw new Error(`master ${port} has no replica of ours`);
    const t0 = Date.now();
    const ackedAtCut = acked();
    if (cutMs !== undefined) {
      process.kill(replica.pid, 'SIGSTOP');
      const admin = ensureRedisCredentials('test').admin;
      const cut = await probeRedis(
        { port, user: admin },
        (c) => c.call('CLIENT', 'KILL', 'TYPE', 'replica'),
        0,
      );
      expect(cut).toBe(1);
      await sleep(cutMs);
    }
    const ackedWhileCut = acked() - ackedAtCut;
    await cluster.kill(port);
    if (cutMs !== undefined) process.kill(replica.pid, 'SIGCONT');
    while ((await cluster.nodes()).find((n) => n.port === replica.port)?.role !== 'master') await sleep(100);
    const promotedAfterMs = Date.now() - t0;
    await cluster.restart(port);
    await cluster.waitHealthy(60_000);
    return { promotedAfterMs, replicaBackAfterMs: Date.now() - t0, ackedWhileCut };
  }

  /**
   * `total` posts from `concurrency` clients on a fresh tenant; when `failAt` are acknowledged the
   * tenant's master fails over (after cutting its replica off for `cutMs`, when given). Prints the
   * figures under `label` and returns what was acknowledged and what the ledger holds afterwards.
   */
  async function postThroughFailover(opts: {
    label: string;
    durable: boolean;
    budget: number;
    total: number;
    concurrency: number;
    prefix: string;
    failAt: number;
    cutMs?: number;
  }) {
    const t = uniqueSuffix();
    const ledger = new Ledger(redis, opts.durable ? { durability: DURABLE } : {});
    await ledger.ensureAccount(t, opts.budget);
    const port = await masterOf(t);
    let failover: Promise<Failover> | undefined;
    let count = 0;
    const out = await postConcurrently({
      ledger,
      tenantId: t,
      total: opts.total,
      concurrency: opts.concurrency,
      prefix: opts.prefix,
      onAcked: (n) => {
        count = n;
        if (n === opts.failAt) failover = failOver(port, () => count, opts.cutMs);
      },
    });
    const timing = await failover!;
    const state = await checkPosted(ledger, t, out.acked);
    console.log(
      JSON.stringify({
        [opts.label]: {
          acked: out.acked.length,
          ...timing,
          ...state,
          retriedBy: out.retriedBy,
          refusedBy: out.refusedBy,
        },
      }),
    );
    return { out, state };
  }

  it('sends a keyed write and the WAIT behind it in one pipeline to the slot owner', async () => {
    for (let i = 0; i < 12; i++) {
      const t = uniqueSuffix();
      const mark = tenantKeys(t).replicationMark;
      const [set, info, wait] = (await redis
        .pipeline()
        .set(mark, '1')
        .call('CLIENT', 'INFO')
        .call('WAIT', '1', '1000')
        .exec())!;
      expect(set).toEqual([null, 'OK']);
      // CLIENT INFO's laddr is the address of the server that ran the pipeline
      expect(String(info![1])).toContain(`laddr=127.0.0.1:${await masterOf(t)} `);
      expect(wait).toEqual([null, 1]);
    }
    // every master has its replica: the apps' start-up check is satisfied
    expect(await replicaShortfall(redis, 1)).toBeNull();
    expect(await replicaShortfall(redis, 2)).toMatch(/127\.0\.0\.1:\d+ has 1/);
  });

  it('measures what WAIT costs per post (300 posts each way, loopback)', async () => {
    const measure = async (durability: typeof DURABLE | undefined) => {
      const t = uniqueSuffix();
      const ledger = new Ledger(redis, { durability });
      await ledger.ensureAccount(t, 1_000_000);
      const port = await masterOf(t);
      const node = redis.nodes('master').find((n) => n.options.port === port)!;
      const serverCpu = async () => {
        const info = await node.info('cpu');
        const f = (name: string) => Number(new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1] ?? 0);
        return f('used_cpu_sys') + f('used_cpu_user');
      };
      const cpu0 = process.cpuUsage();
      const server0 = await serverCpu();
      const out = await postConcurrently({ ledger, tenantId: t, total: 300, concurrency: 1, prefix: 'cost' });
      const client = process.cpuUsage(cpu0);
      const server = (await serverCpu()) - server0;
      expect((await checkPosted(ledger, t, out.acked)).records).toBe(300);
      return {
        postP50Ms: +percentile(out.postMs, 50).toFixed(3),
        postP99Ms: +percentile(out.postMs, 99).toFixed(3),
        clientCpuUsPerPair: Math.round((client.user + client.system) / 300),
        masterCpuUsPerPair: Math.round((server * 1e6) / 300),
      };
    };
    const withoutWait = await measure(undefined);
    const withWait = await measure(DURABLE);
    console.log(JSON.stringify({ waitCost: { withoutWait, withWait } }));
  }, 120_000);

  it('with WAIT, loses no acknowledged post and counts none twice when the link is cut and the master killed', async () => {
    const { out, state } = await postThroughFailover({
      label: 'withWait',
      durable: true,
      budget: 1_000_000,
      total: 400,
      concurrency: 8,
      prefix: 'w',
      failAt: 100,
      cutMs: 300,
    });
    expect(out.refusedBy).toEqual({});
    expect(out.acked).toHaveLength(400);
    expect(state).toMatchObject({ lost: 0, duplicated: 0, records: 400 });
    expect(state.account).toMatchObject({ posted: 400 * CHARGE, pending: 0 });
  }, 180_000);

  it('without WAIT, measures whether a plain kill -9 of the master loses an acknowledged post', async () => {
    const { state } = await postThroughFailover({
      label: 'withoutWaitPlainKill',
      durable: false,
      budget: 10_000_000,
      total: 3000,
      concurrency: 32,
      prefix: 'n',
      failAt: 1000,
    });
    // whatever was lost, what survived is consistent (each script replicates as one transaction)
    expect(state.duplicated).toBe(0);
    expect(state.account.posted).toBe(state.records * CHARGE);
  }, 180_000);

  it('without WAIT, measures the loss when the replication link is cut before the master dies', async () => {
    const { state } = await postThroughFailover({
      label: 'withoutWaitLinkCut',
      durable: false,
      budget: 10_000_000,
      total: 3000,
      concurrency: 32,
      prefix: 'c',
      failAt: 1000,
      cutMs: 300,
    });
    // whatever was lost, what survived is consistent (each script replicates as one transaction)
    expect(state.duplicated).toBe(0);
    expect(state.account.posted).toBe(state.records * CHARGE);
  }, 180_000);
});
