/**
 * Traffic for the stack benches: chat completions through the load balancer, offered at a steady
 * rate (open loop: a slow answer does not slow the offer, as with real clients), each outcome kept
 * with when it started, what came back and where it was served. No retries: a failure is what the
 * client saw, by its stable code.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ChatStreamReader } from '../e2e/sse';

export interface Outcome {
  readonly index: number;
  readonly tenant: string;
  readonly requestId: string;
  readonly stream: boolean;
  /** ms since the run's epoch (performance.now()) */
  readonly startedAt: number;
  readonly ms: number;
  readonly ok: boolean;
  /** the stable code of a failure: Federa's x-federa-code / error.code, or what the transport said */
  readonly code?: string;
  readonly site?: string;
  readonly jurisdiction?: string;
}

export interface TrafficOptions {
  readonly apiUrl: string;
  readonly tokens: ReadonlyMap<string, string>;
  readonly model: string;
  /** a request's id: unique per run, the Idempotency-Key the records are matched by */
  readonly requestId: (index: number) => string;
  /** share of streamed requests, and the tokens asked of them (long enough to be cut mid-stream) */
  readonly streamShare: number;
  readonly streamTokens: number;
  readonly plainTokens: number;
  /** a request not answered by then is abandoned, code CLIENT_TIMEOUT */
  readonly timeoutMs: number;
}

/** A failure the client saw without a Federa code: a proxy page or a cut connection. */
export function transportCode(status: number | undefined, err?: unknown): string {
  if (status !== undefined) return `HTTP_${status}`;
  const e = err as { name?: string; cause?: { code?: string } } | undefined;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'CLIENT_TIMEOUT';
  // the server side closed or reset the connection mid-request (a replica killed under it)
  if (['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'].includes(e?.cause?.code ?? '')) return 'CONNECTION_CUT';
  return e?.cause?.code ? `NET_${e.cause.code}` : 'NET_ERROR';
}

export class Traffic {
  readonly outcomes: Outcome[] = [];
  private inFlight = new Set<Promise<void>>();
  private sent = 0;

  constructor(private readonly opts: TrafficOptions) {}

  get offered(): number {
    return this.sent;
  }

  /**
   * Offers `rate` requests a second until `stop()` says so or `maxRequests` were offered, tenants in
   * turn, never more than `maxInFlight` at once (one that would exceed it is counted as CLIENT_SHED,
   * so the offer stays bounded whatever the stack does).
   */
  async offer(
    rate: number,
    stop: () => boolean,
    opts: { maxRequests: number; maxInFlight?: number },
  ): Promise<void> {
    const intervalMs = 1000 / rate;
    const tenants = [...this.opts.tokens.keys()];
    const maxInFlight = opts.maxInFlight ?? 400;
    const t0 = performance.now();
    for (let k = 0; !stop() && k < opts.maxRequests; k++) {
      const wait = t0 + k * intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
      const index = this.sent++;
      const tenant = tenants[index % tenants.length]!;
      if (this.inFlight.size >= maxInFlight) {
        this.outcomes.push({
          index,
          tenant,
          requestId: this.opts.requestId(index),
          stream: false,
          startedAt: performance.now(),
          ms: 0,
          ok: false,
          code: 'CLIENT_SHED',
        });
        continue;
      }
      const p = this.one(index, tenant).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  /** waits for every request in flight */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async one(index: number, tenant: string): Promise<void> {
    const stream = (index * 0.618034) % 1 < this.opts.streamShare;
    const requestId = this.opts.requestId(index);
    const startedAt = performance.now();
    const done = (o: Partial<Outcome> & { ok: boolean }): void => {
      this.outcomes.push({
        index,
        tenant,
        requestId,
        stream,
        startedAt,
        ms: performance.now() - startedAt,
        ...o,
      });
    };
    let status: number | undefined;
    try {
      const res = await fetch(`${this.opts.apiUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.opts.tokens.get(tenant)}`,
          'idempotency-key': requestId,
        },
        body: JSON.stringify({
          model: this.opts.model,
          messages: [{ role: 'user', content: `chaos request ${index} from ${tenant}` }],
          max_tokens: stream ? this.opts.streamTokens : this.opts.plainTokens,
          stream,
        }),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      status = res.status;
      const where = {
        ...(res.headers.get('x-federa-site') ? { site: res.headers.get('x-federa-site')! } : {}),
        ...(res.headers.get('x-federa-jurisdiction')
          ? { jurisdiction: res.headers.get('x-federa-jurisdiction')! }
          : {}),
      };
      if (!res.ok) {
        const text = await res.text();
        return done({
          ok: false,
          code: res.headers.get('x-federa-code') ?? errorCode(text) ?? `HTTP_${status}`,
          ...where,
        });
      }
      if (!stream) {
        const body = (await res.json()) as { choices?: unknown[] };
        return done({
          ok: Array.isArray(body.choices),
          ...(body.choices ? {} : { code: 'BAD_BODY' }),
          ...where,
        });
      }
      const reader = new ChatStreamReader();
      const decoder = new TextDecoder();
      for await (const chunk of res.body!) reader.push(decoder.decode(chunk as Uint8Array, { stream: true }));
      if (reader.error !== undefined)
        return done({ ok: false, code: reader.errorCode ?? 'STREAM_ERROR', ...where });
      if (!reader.done) return done({ ok: false, code: 'STREAM_CUT', ...where });
      return done({ ok: true, ...where });
    } catch (err) {
      return done({
        ok: false,
        code: transportCode(status === undefined || status < 300 ? undefined : status, err),
      });
    }
  }
}

/** error.code of an OpenAI-shaped error body, when it is one */
function errorCode(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; type?: unknown } };
    const code = body.error?.code ?? body.error?.type;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}
