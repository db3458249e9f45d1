/**
 * Site agents that follow the registry: a supervisor keeps one Temporal worker per site that is in
 * the registry and assigned to this process (FEDERA_SITE_AGENTS), starting agents for sites that
 * appear, stopping those of sites that disappear or move to another process, and restarting an
 * agent whose endpoint or jurisdiction changed (both are fixed for an agent's lifetime). Every
 * running agent beats in Redis about once a second; routing skips sites without a live agent.
 */
import { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { Cluster, Redis } from 'ioredis';
import type { Site, TopologyIndex } from '@federa/domain';
import type { PayloadKeys } from '@federa/sealing';
import {
  AGENT_HEARTBEAT_MS,
  AgentLiveness,
  Observations,
  SiteHealth,
  createSiteActivities,
  siteTaskQueue,
} from '@federa/workflows';
import { TRACING_OFF, temporalClientTracing, temporalWorkerTracing, type Tracing } from '@federa/telemetry';
import { isAssigned, type AgentAssignment } from './agent-assignment';
import { UsageReporter } from './agent/reporter';
import { GrantClient } from './agent/grant-client';
import { startAgentServer, type AgentServer, type HostedSite } from './agent/server';
import type { AgentServerMetrics } from './agent/agent-metrics';

export interface SiteAgentsOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly redis: Redis | Cluster;
  readonly topology: () => Promise<TopologyIndex>;
  readonly assignment: AgentAssignment;
  readonly payloadKeys?: PayloadKeys | undefined;
  /** the agents' allowance for the first token (default: the workflow's sizing, 60 s) */
  readonly siteRequestTimeoutMs?: number | undefined;
  /** the slowest generation the agents accept, tokens/s (default 20) */
  readonly siteMinTokensPerSecond?: number | undefined;
  /** cap on a site's response body (default 8 MiB) */
  readonly siteMaxResponseBytes?: number | undefined;
  /** how often the registry is checked for added, removed or changed sites */
  readonly syncIntervalMs?: number;
  readonly onError?: (err: unknown, siteId?: string) => void;
  /**
   * the data plane: an HTTP endpoint the API streams requests through (issue 9's split plane);
   * absent, the agents serve only the Temporal-dispatched path
   */
  readonly dataPlane?: {
    /** the bearer token the API presents */
    readonly token: string;
    readonly host?: string;
    readonly port?: number;
    /**
     * the URL the API is told to reach these agents at, when it is not the one they listen on (a
     * proxy or NAT in between); default the listening URL
     */
    readonly advertisedUrl?: string;
  };
  /** the process's tracing (default off): the agents' client and workers carry the trace on */
  readonly tracing?: Tracing | undefined;
  /** what the agents' data plane records (absent: no metrics) */
  readonly metrics?: AgentServerMetrics | undefined;
}

interface RunningAgent {
  readonly site: Site;
  readonly worker: Worker;
  readonly running: Promise<void>;
  /** what the agent was built with; a change means a restart */
  readonly fingerprint: string;
}

const fingerprint = (site: Site) => `${site.endpoint}|${site.jurisdiction}`;

export class SiteAgents {
  private readonly agents = new Map<string, RunningAgent>();
  private readonly liveness: AgentLiveness;
  private readonly observations: Observations;
  private readonly health: SiteHealth;
  private timers: NodeJS.Timeout[] = [];
  private syncing: Promise<void> = Promise.resolve();
  private closed = false;
  private server: AgentServer | undefined;

  private constructor(private readonly opts: SiteAgentsOptions) {
    this.liveness = new AgentLiveness(opts.redis);
    this.observations = new Observations(opts.redis);
    this.health = new SiteHealth(opts.redis);
  }

  /** Start the agents assigned now, then follow the registry until `close`. */
  static async start(opts: SiteAgentsOptions): Promise<SiteAgents> {
    const agents = new SiteAgents(opts);
    if (opts.dataPlane) {
      // its usage signals and grant updates continue the trace of the request they are about
      const client = new Client({
        connection: opts.connection,
        namespace: opts.namespace,
        ...temporalClientTracing(opts.tracing ?? TRACING_OFF),
      });
      agents.server = await startAgentServer({
        hosted: (siteId) => agents.hostedSite(siteId),
        token: opts.dataPlane.token,
        reporter: new UsageReporter(client, (err) => opts.onError?.(err)),
        grants: new GrantClient(client),
        ...(opts.dataPlane.host ? { host: opts.dataPlane.host } : {}),
        ...(opts.dataPlane.port ? { port: opts.dataPlane.port } : {}),
        onError: (err) => opts.onError?.(err),
        onInflight: (id, delta) => agents.observations.adjustInflight(id, delta),
        onOutcome: (id, ok) => agents.health.record(id, ok),
        metrics: opts.metrics,
      });
    }
    await agents.sync();
    const syncMs = opts.syncIntervalMs ?? 1_000;
    agents.timers = [
      setInterval(() => void agents.sync().catch((err) => opts.onError?.(err)), syncMs),
      setInterval(() => void agents.beat().catch((err) => opts.onError?.(err)), AGENT_HEARTBEAT_MS),
    ];
    for (const t of agents.timers) t.unref();
    return agents;
  }

  /** the sites this process runs agents for */
  hosted(): string[] {
    return [...this.agents.keys()].sort();
  }

  /** the data-plane URL of this process's agents (where they listen), if they serve the data plane */
  get dataPlaneUrl(): string | undefined {
    return this.server?.url;
  }

  /** what the API is told in Redis: the advertised URL, else the listening one */
  private get advertisedUrl(): string | undefined {
    return this.server && (this.opts.dataPlane?.advertisedUrl ?? this.server.url);
  }

  private hostedSite(siteId: string): HostedSite | undefined {
    const agent = this.agents.get(siteId);
    if (!agent || agent.worker.getState() !== 'RUNNING') return undefined;
    const key = this.opts.payloadKeys?.jurisdictions[agent.site.jurisdiction];
    return {
      siteId,
      jurisdiction: agent.site.jurisdiction,
      endpoint: agent.site.endpoint,
      ...(key ? { openingKey: key.privateJwk } : {}),
    };
  }

  /** Reconcile the running agents with the registry (never two reconciliations at once). */
  sync(): Promise<void> {
    // a failed round (e.g. Redis unreachable) must not stop the next ones
    this.syncing = this.syncing.catch(() => undefined).then(() => this.reconcile());
    return this.syncing;
  }

  /** Stop every agent and take their sites out of routing at once. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.syncing.catch(() => undefined);
    await Promise.all([...this.agents.keys()].map((id) => this.stop(id)));
    await this.server?.close();
  }

  private async reconcile(): Promise<void> {
    if (this.closed) return;
    const wanted = new Map(
      (await this.opts.topology()).topology.sites
        .filter((s) => isAssigned(this.opts.assignment, s))
        .map((s) => [s.id, s]),
    );
    for (const [id, agent] of this.agents) {
      const site = wanted.get(id);
      if (!site || fingerprint(site) !== agent.fingerprint) await this.stop(id);
    }
    for (const site of wanted.values()) {
      if (this.agents.has(site.id) || this.closed) continue;
      try {
        await this.begin(site);
      } catch (err) {
        // one site's agent failing to start (e.g. a bad endpoint) must not stop the others
        this.opts.onError?.(err, site.id);
      }
    }
  }

  private async begin(site: Site): Promise<void> {
    const worker = await Worker.create({
      connection: this.opts.connection,
      namespace: this.opts.namespace,
      taskQueue: siteTaskQueue(site.id),
      activities: createSiteActivities({
        siteId: site.id,
        jurisdiction: site.jurisdiction,
        endpoint: site.endpoint,
        // the agent sizes its own timeout only when told to; otherwise it takes the workflow's budget
        timeout:
          this.opts.siteRequestTimeoutMs || this.opts.siteMinTokensPerSecond
            ? {
                ...(this.opts.siteRequestTimeoutMs ? { baseMs: this.opts.siteRequestTimeoutMs } : {}),
                ...(this.opts.siteMinTokensPerSecond
                  ? { minTokensPerSecond: this.opts.siteMinTokensPerSecond }
                  : {}),
              }
            : undefined,
        maxResponseBytes: this.opts.siteMaxResponseBytes,
        payloadKeys: this.opts.payloadKeys?.jurisdictions[site.jurisdiction]
          ? {
              opening: this.opts.payloadKeys.jurisdictions[site.jurisdiction]!.privateJwk,
              api: this.opts.payloadKeys.api.publicJwk,
            }
          : undefined,
        onInflight: (id, delta) => this.observations.adjustInflight(id, delta),
        onOutcome: (id, ok) => this.health.record(id, ok),
      }),
      maxConcurrentActivityTaskExecutions: 500,
      ...temporalWorkerTracing(this.opts.tracing ?? TRACING_OFF, { bundles: false }),
    });
    const running = worker.run().catch((err) => this.opts.onError?.(err, site.id));
    this.agents.set(site.id, { site, worker, running, fingerprint: fingerprint(site) });
    const url = this.advertisedUrl;
    if (url) await this.liveness.publishEndpoint([site.id], url);
    await this.liveness.beat([site.id]);
  }

  private async stop(siteId: string): Promise<void> {
    const agent = this.agents.get(siteId);
    if (!agent) return;
    this.agents.delete(siteId);
    // out of routing first, so no new work is sent to a queue nobody will poll
    await this.liveness.forget([siteId]).catch((err) => this.opts.onError?.(err, siteId));
    const url = this.advertisedUrl;
    if (url)
      await this.liveness.withdrawEndpoint([siteId], url).catch((err) => this.opts.onError?.(err, siteId));
    if (agent.worker.getState() === 'RUNNING') agent.worker.shutdown();
    await agent.running;
  }

  private async beat(): Promise<void> {
    const live = [...this.agents].filter(([, a]) => a.worker.getState() === 'RUNNING').map(([id]) => id);
    await this.liveness.beat(live);
    // re-advertised with each beat: another process that took a site over and let go of it must not
    // leave the site without an address
    const url = this.advertisedUrl;
    if (url) await this.liveness.publishEndpoint(live, url);
  }
}
