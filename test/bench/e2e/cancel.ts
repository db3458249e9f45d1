/**
 * How fast a client's disconnect stops the site's generation: the "cancels the site's
 * generation within 100 ms". A client streams a long completion, aborts at its first content token,
 * and the bench reads the site's own usage meter (GET /v1/usage/{key}) until it says `cancelled`;
 * the meter stamps the moment generation stopped (`updated_at`). Same machine, same clock: the
 * difference is the time from the client's abort to the site's stop. Measured through Federa
 * (client → API → agent → site) and directly (client → site) for the baseline.
 */
import { siteIdempotencyKey } from '@federa/workflows';
import { summarize, type Summary } from '../stats';
import type { ChatBody } from './clients';

export interface CancelTarget {
  readonly baseUrl: string;
  readonly token: string | undefined;
  /** the key the site meters the request under, from the request id the client sends */
  readonly meterKey: (requestId: string) => string;
}

interface Meter {
  readonly state?: string;
  readonly updated_at?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One cut: ms from the client's abort to the site's recorded stop. */
async function cutOnce(target: CancelTarget, siteUrl: string, body: ChatBody, requestId: string) {
  const abort = new AbortController();
  const res = await fetch(`${target.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': requestId,
      ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
    },
    body: JSON.stringify({ ...body, stream: true }),
    signal: abort.signal,
  });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
  const decoder = new TextDecoder();
  let seen = '';
  for await (const bytes of res.body) {
    seen += decoder.decode(bytes, { stream: true });
    if (seen.includes('"content":"')) break;
  }
  const abortedAt = Date.now();
  abort.abort();
  const meterUrl = `${siteUrl}/usage/${target.meterKey(requestId)}`;
  for (let i = 0; i < 500; i++) {
    const meter = (await fetch(meterUrl).then((r) => (r.ok ? r.json() : {}))) as Meter;
    if (meter.state === 'cancelled' && meter.updated_at) return Date.parse(meter.updated_at) - abortedAt;
    if (meter.state === 'completed') throw new Error('the site finished: the disconnect never reached it');
    await sleep(10);
  }
  throw new Error('the site never stopped');
}

/**
 * The site's natural completion length caps any max_tokens (the dev topology's emulators stop near
 * a hundred tokens), so the site is told to generate long completions for the cut streams, through
 * its control endpoint, and set back afterwards.
 */
async function withLongCompletions<T>(
  siteUrl: string,
  controlToken: string,
  tokens: number,
  fn: () => Promise<T>,
) {
  const config = `${siteUrl.replace(/\/v1$/, '')}/_emulator/config`;
  const headers = { authorization: `Bearer ${controlToken}`, 'content-type': 'application/json' };
  const before = (await fetch(config, { headers }).then((r) => r.json())) as { completionTokens: number };
  const set = (completionTokens: number) =>
    fetch(config, { method: 'POST', headers, body: JSON.stringify({ completionTokens }) }).then((r) => {
      if (!r.ok) throw new Error(`the emulator refused its configuration: HTTP ${r.status}`);
    });
  await set(tokens);
  try {
    return await fn();
  } finally {
    await set(before.completionTokens);
  }
}

export async function measureCancel(
  targets: Record<'federa' | 'direct', CancelTarget>,
  site: { readonly url: string; readonly controlToken: string },
  body: ChatBody,
  count: number,
  run: string,
): Promise<Record<'federa' | 'direct', Summary | { error: string }>> {
  return withLongCompletions(site.url, site.controlToken, body.max_tokens, () =>
    cutStreams(targets, site.url, body, count, run),
  );
}

async function cutStreams(
  targets: Record<'federa' | 'direct', CancelTarget>,
  siteUrl: string,
  body: ChatBody,
  count: number,
  run: string,
): Promise<Record<'federa' | 'direct', Summary | { error: string }>> {
  const out = {} as Record<'federa' | 'direct', Summary | { error: string }>;
  for (const [name, target] of Object.entries(targets) as ['federa' | 'direct', CancelTarget][]) {
    const samples: number[] = [];
    try {
      for (let i = 0; i < count; i++)
        samples.push(await cutOnce(target, siteUrl, body, `bench-cut-${run}-${name}-${i}`));
      out[name] = summarize(samples);
    } catch (err) {
      out[name] = { error: (err as Error).message };
    }
  }
  return out;
}

/** The meter key of a request sent through Federa: the agent's idempotency key for the site. */
export const federaMeterKey = (tenantId: string) => (requestId: string) =>
  siteIdempotencyKey(tenantId, requestId);
