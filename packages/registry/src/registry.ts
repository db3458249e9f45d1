/**
 * The federation's registry in Redis: operators, sites, tenants, jurisdiction groups, effective-dated
 * rate cards and the versioned routing policy, as one validated document. The topology file only
 * seeds it. Every change is a compare-and-set on the document's version, so concurrent admins never
 * overwrite each other; readers check the version (one GET) and reload only when it moved, so a
 * change applies to the very next request without a restart.
 */
import type { Cluster, Redis } from 'ioredis';
import { FederaError, TopologyIndex, parseTopology, type RoutingPolicy, type Topology } from '@federa/domain';

const CAS_LUA = `
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
if current ~= tonumber(ARGV[1]) then return current end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[3], ARGV[5], ARGV[4]) end
return -1`;

interface CasCommand {
  federaRegistryCas(
    doc: string,
    ver: string,
    hist: string,
    expected: string,
    body: string,
    next: string,
    policy: string,
    policyVersion: string,
  ): Promise<number>;
}

export interface Change<R> {
  readonly topology: Topology;
  /** what the procedure returns (e.g. the changed entity) */
  readonly result: R;
}

export interface Applied<R> {
  readonly version: number;
  readonly result: R;
}

export class Registry {
  private readonly keys: { doc: string; version: string; policies: string };
  private cached: { version: number; index: TopologyIndex } | null = null;

  constructor(
    private readonly redis: Redis | Cluster,
    /** one registry per federation (tests run several side by side) */
    namespace = 'default',
  ) {
    const tag = `{federa:registry:${namespace}}`;
    this.keys = { doc: `${tag}:doc`, version: `${tag}:version`, policies: `${tag}:policies` };
    if (!('federaRegistryCas' in redis))
      redis.defineCommand('federaRegistryCas', { numberOfKeys: 3, lua: CAS_LUA });
  }

  /** Store the topology unless the registry already has one. Returns true when it seeded. */
  async seed(topology: Topology): Promise<boolean> {
    const parsed = parseTopology(topology);
    const cas = this.redis as unknown as CasCommand;
    const r = await cas.federaRegistryCas(
      this.keys.doc,
      this.keys.version,
      this.keys.policies,
      '0',
      JSON.stringify(parsed),
      '1',
      JSON.stringify(parsed.routing),
      String(parsed.routing.version),
    );
    return r === -1;
  }

  async version(): Promise<number> {
    return Number((await this.redis.get(this.keys.version)) ?? 0);
  }

  /** The current topology, reloaded only when the version moved. */
  async snapshot(): Promise<TopologyIndex> {
    const version = await this.version();
    if (this.cached && this.cached.version === version) return this.cached.index;
    // document and version are written together; read them together
    const rows = (await this.redis.multi().get(this.keys.doc).get(this.keys.version).exec()) ?? [];
    const raw = rows[0]?.[1] as string | null;
    const v = Number((rows[1]?.[1] as string | null) ?? 0);
    if (!raw) throw new FederaError('INTERNAL', 'the registry is empty: seed it from a topology first');
    const index = new TopologyIndex(parseTopology(JSON.parse(raw)));
    this.cached = { version: v, index };
    return index;
  }

  /**
   * Apply a change: `mutate` gets the current topology and returns the new one (validated here as a
   * whole, so no change can leave the federation inconsistent). Retries on a concurrent change.
   */
  async update<R>(mutate: (current: Topology) => Change<R>): Promise<Applied<R>> {
    const cas = this.redis as unknown as CasCommand;
    for (let attempt = 0; attempt < 10; attempt++) {
      const version = await this.version();
      const current = await this.snapshot();
      if (this.cached?.version !== version) continue;
      const change = mutate(structuredClone(current.topology));
      const next = parseTopology(change.topology);
      const policyChanged = JSON.stringify(next.routing) !== JSON.stringify(current.topology.routing);
      const r = await cas.federaRegistryCas(
        this.keys.doc,
        this.keys.version,
        this.keys.policies,
        String(version),
        JSON.stringify(next),
        String(version + 1),
        policyChanged ? JSON.stringify(next.routing) : '',
        String(next.routing.version),
      );
      if (r === -1) return { version: version + 1, result: change.result };
    }
    throw new FederaError('INTERNAL', 'the registry changed too often to apply the update; retry');
  }

  /** Every routing policy version, newest first. */
  async policyHistory(): Promise<RoutingPolicy[]> {
    const raw = await this.redis.hgetall(this.keys.policies);
    return Object.values(raw)
      .map((v) => JSON.parse(v) as RoutingPolicy)
      .sort((a, b) => b.version - a.version);
  }
}
