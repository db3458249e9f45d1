/**
 * The API's side of the agent protocol (workflows/src/served/agent-protocol.ts): post one attempt to a
 * site agent, and read its NDJSON frames. A refusal before the first byte comes back as an
 * AgentRefusedError, so the caller can fail over; after it, frames until the end frame.
 */
import {
  AGENT_CHAT_PATH,
  AGENT_EMBEDDINGS_PATH,
  type AgentChatRequest,
  type AgentEmbeddingsRequest,
  type AgentFrame,
  type AgentRefusal,
  type UsageReport,
} from '@federa/workflows';
import { traceHeaders } from '@federa/telemetry';

export class AgentRefusedError extends Error {
  constructor(readonly refusal: AgentRefusal) {
    super(refusal.message);
  }
}

/** Open an attempt; resolves once the agent has the site's first token (HTTP 200). */
export async function openAgentChat(
  agentUrl: string,
  token: string,
  body: AgentChatRequest,
  signal: AbortSignal,
): Promise<AsyncGenerator<AgentFrame>> {
  let res: Response;
  try {
    res = await fetch(`${agentUrl}${AGENT_CHAT_PATH}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        // the caller's span (W3C traceparent): the agent continues the trace
        ...traceHeaders(),
      },
      body: JSON.stringify(body),
      signal,
    });
  } catch (err) {
    throw new AgentRefusedError({
      code: 'NO_AGENT',
      message: `the agent of '${body.siteId}' is unreachable: ${describeCause(err)}`,
      final: signal.aborted,
      // an agent that took the request and died before its first byte may have set the site to work
      mayHaveServed: !neverConnected(err),
    });
  }
  if (res.status !== 200 || !res.body) throw await refusalOf(res);
  return readFrames(res.body);
}

/** One embeddings exchange with an agent: its vectors and usage report, or its refusal. */
export async function callAgentEmbeddings(
  agentUrl: string,
  token: string,
  body: AgentEmbeddingsRequest,
  signal: AbortSignal,
): Promise<{ vectors: number[][]; report: UsageReport }> {
  const res = await fetch(`${agentUrl}${AGENT_EMBEDDINGS_PATH}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      // the caller's span (W3C traceparent): the agent continues the trace
      ...traceHeaders(),
    },
    body: JSON.stringify(body),
    signal,
  }).catch((err: unknown) => {
    throw new AgentRefusedError({
      code: 'NO_AGENT',
      message: `the agent of '${body.siteId}' is unreachable: ${describeCause(err)}`,
      final: signal.aborted,
      mayHaveServed: false,
    });
  });
  if (res.status !== 200) throw await refusalOf(res);
  return (await res.json()) as { vectors: number[][]; report: UsageReport };
}

/** The agent's refusal (its own JSON), or one made up from the status when it sent none. */
async function refusalOf(res: Response): Promise<AgentRefusedError> {
  const refusal = (await res.json().catch(() => null)) as AgentRefusal | null;
  return new AgentRefusedError(
    refusal && typeof refusal.code === 'string'
      ? refusal
      : { code: 'NO_AGENT', message: `agent answered HTTP ${res.status}`, final: false, mayHaveServed: true },
  );
}

async function* readFrames(body: ReadableStream<Uint8Array>): AsyncGenerator<AgentFrame> {
  let buffered = '';
  // a TextDecoder in streaming mode rather than pipeThrough(TextDecoderStream): same bytes, and its
  // types agree between Node's and the DOM's stream typings (the console type-checks this router)
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line) yield JSON.parse(line) as AgentFrame;
    }
  }
}

/** The agent's address refused the connection: the request never reached it. */
function neverConnected(err: unknown): boolean {
  const code = ((err as Error).cause as { code?: unknown } | undefined)?.code;
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND';
}

function describeCause(err: unknown): string {
  const cause = (err as Error).cause;
  return cause instanceof Error ? cause.message : (err as Error).message;
}
