/** POST /v1/embeddings: metered by input tokens, under the same residency rules as chat. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServedDeps } from '../context';
import { runAdmitted, untilClientLeaves } from './admitted';
import { admissionHeaders } from './chat';
import { sendJson } from './http';
import { preflight } from './preflight';
import { embeddingsBody } from './render-embeddings';
import { parseEmbeddingsRequest, requestedResidency } from './schemas';
import { tenantCaller } from './tenant-call';
import { NO_METER, type RequestMeter } from '../metrics/request-meter';

/** An embeddings request's fingerprint has max_tokens 0 (no chat has it), so the two never collide. */
const EMBEDDINGS_MARK = 0;

export async function handleEmbeddings(
  deps: ServedDeps,
  req: IncomingMessage,
  res: ServerResponse,
  call: { readonly body: unknown; readonly signal: AbortSignal; readonly meter?: RequestMeter },
): Promise<string> {
  const { body, signal } = call;
  const meter = call.meter ?? NO_METER;
  const caller = await tenantCaller(deps, req);
  const request = parseEmbeddingsRequest(body);
  meter.identify({ tenant: caller.tenant, topology: caller.topology, model: request.model });
  const input = typeof request.input === 'string' ? [request.input] : request.input;
  const pre = await preflight(deps, req, res, caller, {
    model: request.model,
    // counted and fingerprinted like a chat's messages
    messages: input.map((content) => ({ role: 'user' as const, content })),
    requestedResidency: requestedResidency(req.headers['x-federa-residency'], request.federa),
    maxTokens: EMBEDDINGS_MARK,
  });
  const ticket = { tenantId: caller.tenant.id, bytes: pre.chars * 2, signal };
  return runAdmitted(deps, ticket, async () => {
    const served = pre.dataPlane.serveEmbeddings({
      tenantId: caller.tenant.id,
      requestId: pre.requestId,
      model: pre.model.id,
      input,
      residency: pre.residency,
      apiKeyId: pre.key.apiKeyId,
      dimensions: request.dimensions ?? undefined,
      signal,
      onDispatch: (target) => meter.dispatched(target),
    });
    const result = await untilClientLeaves(served, signal);
    meter.firstByte();
    sendJson(
      res,
      200,
      embeddingsBody(pre.model.id, result, request.encoding_format ?? 'float'),
      admissionHeaders(result.admission),
    );
    return 'OK';
  });
}
