/**
 * The data plane's failover, shared by chat and embeddings: the admitted route's sites in order,
 * each through its agent (one Redis read for all their addresses), until one takes the request.
 * Only refusals before the first byte fail over; a final one (residency, a site rejecting the
 * request) stops at once. When nothing was served, the workflow is told so: it voids the hold.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { FederaError } from '@federa/domain';
import {
  dispatchAbandonedSignal,
  type Admitted,
  type AgentLiveness,
  type AttemptSummary,
  type RouteObserver,
  type SiteTarget,
  tellRouteObserver,
} from '@federa/workflows';
import type { Logger } from 'pino';
import { AgentRefusedError } from './agent-client';

export interface FailoverDeps {
  readonly agents: AgentLiveness;
  readonly log: Logger;
  /** told of each failover attempt (the route's first site was counted when it was planned) */
  readonly routeObserver?: RouteObserver | undefined;
}

/**
 * Run `attempt` on each site of the route until one succeeds; `attempts` holds the sites tried
 * before (the serving agent reports them for the record).
 */
export async function acrossRoute<T>(
  deps: FailoverDeps,
  handle: WorkflowHandle,
  admitted: Admitted,
  signal: AbortSignal,
  attempt: (target: SiteTarget, agentUrl: string, before: readonly AttemptSummary[]) => Promise<T>,
): Promise<T> {
  const route = admitted.route.slice(0, admitted.maxAttempts);
  const urls = await deps.agents.endpoints(route.map((t) => t.siteId));
  const attempts: AttemptSummary[] = [];
  for (const [index, target] of route.entries()) {
    if (signal.aborted) break;
    if (index > 0) tellRouteObserver(deps.routeObserver, (o) => o.routed(target));
    const url = urls.get(target.siteId);
    if (!url) {
      attempts.push({
        ...failed(target),
        error: 'NO_AGENT: no agent advertises this site',
        mayHaveServed: false,
      });
      continue;
    }
    try {
      return await attempt(target, url, [...attempts]);
    } catch (err) {
      if (!(err instanceof AgentRefusedError)) throw err;
      const { refusal } = err;
      attempts.push({
        ...failed(target),
        error: `${refusal.code}: ${refusal.message}`,
        mayHaveServed: refusal.mayHaveServed,
      });
      if (refusal.final) {
        await abandon(handle, refusal.code, refusal.message, attempts, deps.log);
        throw new FederaError(
          refusal.code === 'RESIDENCY_VIOLATION' ? 'RESIDENCY_VIOLATION' : 'SITE_REJECTED',
          refusal.message,
        );
      }
    }
  }
  const message = signal.aborted
    ? 'the client left before any site answered'
    : `every eligible site failed: ${attempts.map((a) => `${a.siteId} (${a.error})`).join('; ')}`;
  await abandon(handle, 'ALL_SITES_FAILED', message, attempts, deps.log);
  throw new FederaError('ALL_SITES_FAILED', message, { attempts });
}

const failed = (t: SiteTarget): AttemptSummary => ({
  siteId: t.siteId,
  jurisdiction: t.jurisdiction,
  outcome: 'failed',
});

/** Nothing was served: the workflow voids the hold and fails, so the id may be used again. */
export async function abandon(
  handle: WorkflowHandle,
  code: string,
  message: string,
  attempts: readonly AttemptSummary[],
  log: Logger,
): Promise<void> {
  await handle
    .signal(dispatchAbandonedSignal, { code, message, attempts })
    .catch((err: unknown) => log.warn({ err, workflowId: handle.workflowId }, 'abandoning a request failed'));
}
