/**
 * The data plane's embeddings path: admitted like a chat (same workflow, residency and budget, a
 * grant of zero output tokens), served by one site agent in one exchange, billed by input tokens.
 */
import { FederaError, effectiveResidency } from '@federa/domain';
import {
  AGENT_EMBEDDINGS_PATH,
  requestWorkflowId,
  type AgentRefusal,
  type AttemptSummary,
  type ServedRequestInput,
  type UsageReport,
} from '@federa/workflows';
import { awaitAdmission } from './admission-wait';
import { sealTexts } from './payload';
import { abandon, failed, settlementOf, start, type ChatPathDeps } from './serve-chat';
import type { EmbeddingsResult, EmbeddingsServeRequest } from './types';

export async function serveEmbeddings(
  deps: ChatPathDeps,
  req: EmbeddingsServeRequest,
): Promise<EmbeddingsResult> {
  const topology = await deps.served.topology();
  const tenant = topology.tenant(req.tenantId);
  const allowed = effectiveResidency(tenant.residency, req.residency, topology.groups);
  const payload = await sealTexts(deps.served, topology, allowed, req.input);
  const input: ServedRequestInput = {
    tenantId: req.tenantId,
    requestId: req.requestId,
    model: req.model,
    kind: 'embeddings',
    inputTokens: payload.inputTokens,
    maxTokens: 0,
    residency: req.residency,
    ...(req.apiKeyId ? { apiKeyId: req.apiKeyId } : {}),
  };
  const workflowId = requestWorkflowId(req.tenantId, req.requestId);
  const waiter = deps.handoff.expect(workflowId);
  try {
    const handle = await start(deps, workflowId, input);
    const admitted = await awaitAdmission(handle, waiter, 30_000);
    const attempts: AttemptSummary[] = [];
    for (const target of admitted.route.slice(0, admitted.maxAttempts)) {
      if (req.signal.aborted) break;
      const url = (await deps.agents.endpoints([target.siteId])).get(target.siteId);
      if (!url) {
        attempts.push({
          ...failed(target),
          error: 'NO_AGENT: no agent advertises this site',
          mayHaveServed: false,
        });
        continue;
      }
      const res = await fetch(`${url}${AGENT_EMBEDDINGS_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${deps.agentToken}` },
        body: JSON.stringify({
          siteId: target.siteId,
          workflowId,
          tenantId: req.tenantId,
          requestId: req.requestId,
          model: req.model,
          ...(payload.sealedInput ? { sealedInput: payload.sealedInput } : { input: payload.input }),
          ...(req.dimensions ? { dimensions: req.dimensions } : {}),
          allowedJurisdictions: admitted.allowedJurisdictions,
          failedAttempts: attempts,
          timeoutMs: admitted.dispatchTimeoutMs,
        }),
        signal: req.signal,
      }).catch(() => null);
      if (!res || res.status !== 200) {
        const refusal = (await res?.json().catch(() => null)) as AgentRefusal | null;
        attempts.push({
          ...failed(target),
          error: `${refusal?.code ?? 'NO_AGENT'}: ${refusal?.message ?? 'the agent is unreachable'}`,
          mayHaveServed: refusal?.mayHaveServed ?? false,
        });
        if (refusal?.final) {
          await abandon(handle, refusal.code, refusal.message, attempts, deps.log);
          throw new FederaError(
            refusal.code === 'RESIDENCY_VIOLATION' ? 'RESIDENCY_VIOLATION' : 'SITE_REJECTED',
            refusal.message,
          );
        }
        continue;
      }
      const served = (await res.json()) as { vectors: number[][]; report: UsageReport };
      const settled = await settlementOf(handle, waiter);
      return {
        admission: {
          requestId: req.requestId,
          siteId: target.siteId,
          operatorId: target.operatorId,
          jurisdiction: target.jurisdiction,
          policyVersion: admitted.policyVersion,
        },
        vectors: served.vectors,
        usage: { inputTokens: settled.usage.inputTokens },
        federa: {
          charge: settled.retailCharge,
          currency: settled.currency,
          site: target.siteId,
          jurisdiction: target.jurisdiction,
          recordId: settled.recordId,
          flags: settled.flags,
        },
      };
    }
    const message = `every eligible site failed: ${attempts.map((a) => `${a.siteId} (${a.error})`).join('; ')}`;
    await abandon(handle, 'ALL_SITES_FAILED', message, attempts, deps.log);
    throw new FederaError('ALL_SITES_FAILED', message, { attempts });
  } catch (err) {
    deps.handoff.forget(workflowId);
    throw err;
  }
}
