/**
 * The data plane's embeddings path: admitted like a chat (same workflow, residency and budget, a
 * grant of zero output tokens), served by one site agent in one exchange, billed by input tokens.
 */
import { effectiveResidency } from '@federa/domain';
import { requestWorkflowId, type ServedRequestInput } from '@federa/workflows';
import { SPAN_ATTR, SpanKind, inSpan } from '@federa/telemetry';
import { awaitAdmission } from './admission-wait';
import { callAgentEmbeddings } from './agent-client';
import { acrossRoute } from './failover';
import { timedExchange } from './latency-sample';
import { sealTexts } from './payload';
import { settle, start, type ChatPathDeps } from './serve-chat';
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
    return await acrossRoute(deps, handle, admitted, req.signal, async (target, url, before) => {
      req.onDispatch?.(target);
      const attributes = {
        [SPAN_ATTR.requestId]: req.requestId,
        [SPAN_ATTR.siteId]: target.siteId,
        [SPAN_ATTR.jurisdiction]: target.jurisdiction,
      };
      const served = await inSpan('agent.embeddings', { kind: SpanKind.CLIENT, attributes }, () =>
        // routing's sample: this attempt, timed on our clock to the agent's whole answer
        timedExchange(deps, { region: tenant.region, siteId: target.siteId }, () =>
          callAgentEmbeddings(
            url,
            deps.agentToken,
            {
              siteId: target.siteId,
              workflowId,
              tenantId: req.tenantId,
              requestId: req.requestId,
              model: req.model,
              ...(payload.sealedInput ? { sealedInput: payload.sealedInput } : { input: payload.input }),
              ...(req.dimensions ? { dimensions: req.dimensions } : {}),
              allowedJurisdictions: admitted.allowedJurisdictions,
              failedAttempts: before,
              timeoutMs: admitted.dispatchTimeoutMs,
            },
            req.signal,
          ),
        ),
      );
      const settled = await settle(deps, handle, waiter, { input, admitted }, served.report);
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
    });
  } catch (err) {
    deps.handoff.forget(workflowId);
    throw err;
  }
}
