/**
 * Routing's latency sample, taken where the tenant's experience is: on the API's own clock, from
 * sending a request to a site's agent to the first completion byte coming back (chat: the agent's
 * answer headers, which it sends only with the site's first token; embeddings: the whole answer).
 * In production the agent runs at its site and the API in the federation's core, so the sample holds
 * the WAN both ways, the agent and the site's time to first token; the agent's own clock (agent →
 * site) never sees the WAN, and a far site with a fast GPU would rank as near.
 *
 * One sample per served request: only the attempt that served is timed (a failed attempt is the
 * circuit's and the health probes' business, not a latency), and the control plane's post adds none
 * for data-plane requests (ReconcileInput.latencySampledBy). Nothing the site or its agent sends
 * goes into it. Recorded off the answer's path: never awaited, a failure only logged.
 */
import type { Logger } from 'pino';
import type { Observations } from '@federa/workflows';

export interface LatencySampling {
  readonly observations: Pick<Observations, 'recordLatency'>;
  readonly log: Logger;
}

/** Where a sample belongs: the tenant's region and the site that served. */
export interface SampleKey {
  readonly region: string;
  readonly siteId: string;
}

/**
 * Run `exchange` (an attempt's call to the site's agent, resolving at its first byte) and record the
 * time it took as the request's latency sample if it succeeds; a refusal or failure records nothing.
 */
export async function timedExchange<T>(
  sampling: LatencySampling,
  key: SampleKey,
  exchange: () => Promise<T>,
  clock: () => number = () => performance.now(),
): Promise<T> {
  const sentAt = clock();
  const answer = await exchange();
  recordSample(sampling, key, clock() - sentAt);
  return answer;
}

function recordSample(sampling: LatencySampling, key: SampleKey, ms: number): void {
  // advisory: a lost sample only leaves the moving average where it was
  void sampling.observations.recordLatency(key.region, key.siteId, ms).catch((err: unknown) => {
    sampling.log.warn({ err, site_id: key.siteId }, 'recording a latency sample failed');
  });
}
