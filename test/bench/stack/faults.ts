/**
 * The faults bench:chaos injects into the running stack, in turn: each one is injected, held while
 * the offered load goes on, then healed (the killed process started again, the link restored).
 */
import type { ProductionLikeStack } from '../../../scripts/stack/stack';
import { agentName, apiName, workerName } from '../../../scripts/stack/stack';

export interface Fault {
  readonly name: string;
  /** what was done, for the report (e.g. which Redis master) */
  inject(stack: ProductionLikeStack): Promise<string>;
  heal(stack: ProductionLikeStack): Promise<void>;
}

/** the site whose agent, link and partition the faults use: the EU tenants' second site */
export const FAULT_SITE = 'lumiere-par';

export const FAULTS: readonly Fault[] = [
  {
    name: 'temporal_server_kill9',
    inject: async (stack) => {
      await stack.temporal!.kill(0);
      return 'temporal server 0';
    },
    heal: (stack) => stack.temporal!.restart(0),
  },
  (() => {
    let killed: number | undefined;
    return {
      name: 'redis_master_kill9',
      inject: async (stack: ProductionLikeStack) => {
        const master = (await stack.redis!.nodes()).find((n) => n.role === 'master');
        if (!master) throw new Error('no Redis master to kill');
        killed = master.port;
        await stack.redis!.kill(master.port);
        return `redis master :${master.port}`;
      },
      heal: async (stack: ProductionLikeStack) => {
        if (killed !== undefined) await stack.redis!.restart(killed);
        await stack.redis!.waitHealthy(60_000);
      },
    };
  })(),
  {
    name: 'api_replica_kill9',
    inject: async (stack) => {
      await stack.group.kill(apiName(0), 'SIGKILL');
      return apiName(0);
    },
    heal: (stack) => stack.restartApp(apiName(0)),
  },
  {
    name: 'control_worker_kill9',
    inject: async (stack) => {
      await stack.group.kill(workerName(0), 'SIGKILL');
      return workerName(0);
    },
    heal: (stack) => stack.restartApp(workerName(0)),
  },
  {
    name: 'site_agent_kill9_mid_stream',
    inject: async (stack) => {
      await stack.group.kill(agentName(FAULT_SITE), 'SIGKILL');
      return agentName(FAULT_SITE);
    },
    heal: (stack) => stack.restartApp(agentName(FAULT_SITE)),
  },
  {
    name: 'site_packet_loss_30pct',
    inject: async (stack) => {
      await stack.network?.setLoss(FAULT_SITE, 30);
      return stack.network ? `${FAULT_SITE} 30 % loss` : 'skipped: no network namespaces';
    },
    heal: async (stack) => stack.network?.reset(FAULT_SITE),
  },
  {
    name: 'site_partition',
    inject: async (stack) => {
      await stack.network?.setPartition(FAULT_SITE, true);
      return stack.network ? `${FAULT_SITE} partitioned` : 'skipped: no network namespaces';
    },
    heal: async (stack) => stack.network?.setPartition(FAULT_SITE, false),
  },
];
