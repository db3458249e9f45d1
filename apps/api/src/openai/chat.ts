/**
 * POST /v1/chat/completions: a tenant's chat, plain or streamed, through the data plane. The route,
 * the hold and the usage record are the control plane's business; this file turns the request into
 * a ChatServeRequest and the data plane's answer into OpenAI's shapes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isErrorCode } from '@federa/domain';
import type { ServedDeps } from '../context';
import type { Admission, ChatOutcome, ChatServeRequest, ChatStream } from '../dataplane/types';
import { runAdmitted, untilClientLeaves } from './admitted';
import { statusFor, type OpenAiErrorBody } from './errors';
import { sendJson } from './http';
import { preflight } from './preflight';
import { chatEvents, chatMeta, completionBody, endedByFailure, failureBody } from './render-chat';
import {
  maxTokensOf,
  parseChatRequest,
  requestedResidency,
  stopSequencesOf,
  toChatMessages,
} from './schemas';
import { SSE_HEADERS, writeSse } from './sse';
import { tenantCaller } from './tenant-call';
import { CLIENT_CLOSED, NO_METER, type RequestMeter } from '../metrics/request-meter';
import { outcomeCodeOf } from '../metrics/outcome-code';

/** The response headers that say where a request was served (known before its first byte). */
export function admissionHeaders(admission: Admission): Record<string, string> {
  return {
    'x-request-id': admission.requestId,
    'x-federa-site': admission.siteId,
    'x-federa-jurisdiction': admission.jurisdiction,
    'x-federa-policy-version': String(admission.policyVersion),
  };
}

/** A plain answer: the whole completion, and how it was billed. */
async function collect(stream: ChatStream): Promise<{ content: string; outcome: ChatOutcome }> {
  // observed now: a rejection while the deltas are read is never unhandled
  stream.outcome.catch(() => undefined);
  let content = '';
  for await (const delta of stream.deltas) content += delta;
  return { content, outcome: await stream.outcome };
}

export async function handleChat(
  deps: ServedDeps,
  req: IncomingMessage,
  res: ServerResponse,
  call: {
    readonly body: unknown;
    /** aborts when the client goes away */
    readonly signal: AbortSignal;
    /** an error after the first byte, as the stream's last event */
    readonly renderFailure: (err: unknown) => OpenAiErrorBody;
    /** this request's metrics */
    readonly meter?: RequestMeter;
  },
): Promise<string> {
  const { body, signal, renderFailure } = call;
  const meter = call.meter ?? NO_METER;
  const caller = await tenantCaller(deps, req);
  const request = parseChatRequest(body);
  meter.identify({ tenant: caller.tenant, topology: caller.topology, model: request.model });
  const messages = toChatMessages(request.messages);
  const maxTokens = maxTokensOf(request);
  const pre = await preflight(deps, req, res, caller, {
    model: request.model,
    messages,
    requestedResidency: requestedResidency(req.headers['x-federa-residency'], request.federa),
    maxTokens,
  });
  const serve: ChatServeRequest = {
    tenantId: caller.tenant.id,
    requestId: pre.requestId,
    model: pre.model.id,
    messages,
    maxTokens,
    residency: pre.residency,
    apiKeyId: pre.key.apiKeyId,
    sampling: {
      temperature: request.temperature ?? undefined,
      top_p: request.top_p ?? undefined,
      stop: stopSequencesOf(request),
      seed: request.seed ?? undefined,
      user: request.user ?? undefined,
    },
    signal,
    onDispatch: (target) => meter.dispatched(target),
  };
  const meta = chatMeta(pre.requestId, pre.model.id, Date.now());
  const ticket = { tenantId: caller.tenant.id, bytes: pre.chars * 2, signal };
  return runAdmitted(deps, ticket, async () => {
    const served = await pre.dataPlane.serveChat(serve);
    const stream = meter === NO_METER ? served : { ...served, deltas: notingFirst(served.deltas, meter) };
    const headers = admissionHeaders(stream.admission);
    if (request.stream) {
      // no flushHeaders: the role chunk follows at once and leaves with the headers, in one write
      res.writeHead(200, { ...SSE_HEADERS, ...headers });
      const includeUsage = request.stream_options?.include_usage ?? false;
      const whole = await writeSse(res, chatEvents(stream, meta, includeUsage, renderFailure));
      if (!whole) return CLIENT_CLOSED;
      // written whole: the outcome has settled (the events end with it)
      return stream.outcome.then((outcome) => codeOf(outcome), outcomeCodeOf);
    }
    const { content, outcome } = await untilClientLeaves(collect(stream), signal);
    if (endedByFailure(outcome)) {
      const code = outcome.federa.code!;
      // a code the domain does not know (the data plane's own) is a bad gateway: the site failed us
      const status = isErrorCode(code) ? statusFor(code) : 502;
      sendJson(res, status, failureBody(outcome), { ...headers, 'x-federa-code': code });
      return code;
    }
    meter.firstByte();
    sendJson(res, 200, completionBody(meta, content, outcome), headers);
    return 'OK';
  });
}

/** A request's code from its outcome: OK, or the failure that ended a begun generation. */
function codeOf(outcome: ChatOutcome): string {
  return endedByFailure(outcome) ? outcome.federa.code! : 'OK';
}

/** The deltas, telling the meter when the first piece of content goes out. */
async function* notingFirst(deltas: AsyncIterable<string>, meter: RequestMeter): AsyncGenerator<string> {
  let first = true;
  for await (const delta of deltas) {
    if (first && delta) {
      first = false;
      meter.firstByte();
    }
    yield delta;
  }
}
