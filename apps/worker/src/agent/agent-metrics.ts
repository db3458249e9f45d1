/**
 * What a site agent records (the catalogue's agent families and residency refusals). Optional: the
 * in-process test harness runs agents without metrics. Recording is synchronous and never awaited
 * on the relay's path.
 */
import type { AgentMetrics, RoutingMetrics } from '@federa/telemetry';
import type { AskGrant } from './slice-grant';

export interface AgentServerMetrics {
  readonly agent: AgentMetrics;
  readonly residencyRefusals: RoutingMetrics['residencyRefusals'];
}

export type RelayKind = 'chat' | 'embeddings';

/** One relayed request's outcome: OK, or the code the agent answered or ended the stream with. */
export function countRequest(
  m: AgentServerMetrics | undefined,
  site: string,
  kind: RelayKind,
  code: string,
): void {
  m?.agent.requests.inc({ site, kind, code });
  if (code === 'RESIDENCY_VIOLATION') m?.residencyRefusals.inc({ code });
}

/** Agent to site: request sent to the first completion byte relayed (the report's networkMs). */
export function observeSiteTtft(m: AgentServerMetrics | undefined, site: string, firstTokenMs: number): void {
  if (Number.isFinite(firstTokenMs) && firstTokenMs >= 0)
    m?.agent.siteTimeToFirstToken.observe({ site }, firstTokenMs / 1000);
}

/** The grant asker, counting each slice asked for by its answer (no answer counts as refused). */
export function countedAsk(
  m: AgentServerMetrics | undefined,
  site: string,
  ask: AskGrant | undefined,
): AskGrant | undefined {
  if (!m || !ask) return ask;
  return async (seq, tokens) => {
    try {
      const answer = await ask(seq, tokens);
      m.agent.grantSlices.inc({ site, result: answer.refused ? 'refused' : 'granted' });
      return answer;
    } catch (err) {
      m.agent.grantSlices.inc({ site, result: 'refused' });
      throw err;
    }
  };
}
