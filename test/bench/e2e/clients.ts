/**
 * One request of each kind the bench sends: an OpenAI chat completion, plain or streaming, to any
 * OpenAI base URL (the emulator directly, or Federa's /v1), and the tRPC `inference.complete`
 * baseline. Each resolves with what the report needs (the site that answered, TTFT) or throws.
 */
import { ChatStreamReader } from './sse';

export interface ChatBody {
  readonly model: string;
  readonly messages: readonly { role: string; content: string }[];
  readonly max_tokens: number;
}

export interface Outcome {
  /** the site that served it, from `x-federa-site` (sent by Federa and by the emulators) */
  readonly site?: string | undefined;
  /** streaming: ms from sending the request to the first content token */
  readonly ttftMs?: number;
}

/** no request may hang the bench: it must stop by itself */
const REQUEST_TIMEOUT_MS = 60_000;

function headers(token: string | undefined): Record<string, string> {
  return {
    'content-type': 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
}

async function failure(res: Response): Promise<Error> {
  const text = await res.text().catch(() => '');
  return new Error(`HTTP ${res.status} ${text.slice(0, 200)}`.trim());
}

export async function chatPlain(
  baseUrl: string,
  token: string | undefined,
  body: ChatBody,
): Promise<Outcome> {
  const res = await fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: headers(token),
    body: JSON.stringify({ ...body, stream: false }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (!res.ok) throw await failure(res);
  const json = (await res.json()) as { choices?: unknown[] };
  if (!Array.isArray(json.choices) || json.choices.length === 0)
    throw new Error('a completion without choices');
  return { site: res.headers.get('x-federa-site') ?? undefined };
}

export async function chatStream(
  baseUrl: string,
  token: string | undefined,
  body: ChatBody,
): Promise<Outcome> {
  const started = performance.now();
  const res = await fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: headers(token),
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (!res.ok || !res.body) throw await failure(res);
  const reader = new ChatStreamReader();
  const decoder = new TextDecoder();
  let ttftMs: number | undefined;
  for await (const bytes of res.body) {
    if (reader.push(decoder.decode(bytes, { stream: true }))) ttftMs = performance.now() - started;
  }
  if (reader.error) throw new Error(`the stream ended with an error: ${reader.error}`);
  if (!reader.done) throw new Error('the stream ended without data: [DONE]');
  if (ttftMs === undefined) throw new Error('the stream carried no content');
  return { site: res.headers.get('x-federa-site') ?? undefined, ttftMs };
}

/** the bespoke tRPC call that predates the OpenAI surface (same machinery, Temporal carries the payload) */
export async function trpcComplete(
  apiUrl: string,
  token: string,
  body: ChatBody & { requestId: string },
): Promise<Outcome> {
  const res = await fetch(`${apiUrl}/trpc/inference.complete`, {
    method: 'POST',
    headers: headers(token),
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const json = (await res.json().catch(() => ({}))) as {
    result?: { data: { route: { siteId: string } } };
    error?: unknown;
  };
  if (!json.result) throw new Error(`HTTP ${res.status} ${JSON.stringify(json.error ?? null).slice(0, 200)}`);
  return { site: json.result.data.route.siteId };
}
