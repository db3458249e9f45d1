/**
 * The data plane as the API's front doors see it: a request is admitted by its control-plane
 * workflow (route chosen, tokens and money held), then its tokens stream from the chosen site's agent
 * while the workflow waits; usage is reconciled after the last token. Prompts and completions travel
 * only here, never through Temporal.
 *
 * A failure before admission or before the first byte (no eligible site, budget, every site failed)
 * rejects `serveChat` with a FederaError; after the first byte, the stream ends and `outcome`
 * carries the Federa code (e.g. SITE_FAILED_MID_STREAM) with the delivered tokens billed.
 */
import type { ChatMessage } from '@federa/domain';

/** OpenAI sampling parameters passed through to the site untouched. */
export interface SamplingParams {
  readonly temperature?: number | undefined;
  readonly top_p?: number | undefined;
  readonly stop?: readonly string[] | undefined;
  readonly seed?: number | undefined;
  readonly user?: string | undefined;
}

export interface ChatServeRequest {
  readonly tenantId: string;
  /** the client's Idempotency-Key / requestId, or one the front door generated */
  readonly requestId: string;
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  /** absent: quota is granted in slices while the site generates */
  readonly maxTokens?: number | undefined;
  /** narrowing of the tenant's residency (country codes or group names) */
  readonly residency?: readonly string[] | undefined;
  /** the API key the call came with, whose own limits apply in the same reserve */
  readonly apiKeyId?: string | undefined;
  readonly sampling: SamplingParams;
  /** aborted when the client goes away: the site's generation is cancelled */
  readonly signal: AbortSignal;
  /** told each time a site's agent is called (metrics: Federa's added latency ends at the first) */
  readonly onDispatch?: ((target: DispatchTarget) => void) | undefined;
}

/** The site a request is being sent to. */
export interface DispatchTarget {
  readonly siteId: string;
  readonly jurisdiction: string;
}

/** Where the request was admitted; known before the first byte (response headers). */
export interface Admission {
  readonly requestId: string;
  readonly siteId: string;
  readonly operatorId: string;
  readonly jurisdiction: string;
  readonly policyVersion: number;
}

export interface ChatOutcome {
  /** billed counts: input as counted at the edge, output as relayed (clamped to the grant) */
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number };
  /** OpenAI's finish_reason: 'stop' | 'length' (max_tokens or budget reached) */
  readonly finishReason: string;
  readonly federa: {
    readonly charge: number;
    readonly currency: string;
    readonly site: string;
    readonly jurisdiction: string;
    readonly recordId: string;
    readonly flags: readonly string[];
    /** set when Federa ended the generation: e.g. BUDGET_EXCEEDED (slice not extended), SITE_FAILED_MID_STREAM */
    readonly code?: string | undefined;
  };
}

export interface ChatStream {
  readonly admission: Admission;
  /** the completion's text as the site produces it, in the pieces it came in */
  readonly deltas: AsyncIterable<string>;
  /** settles after the last delta, once the usage is recorded */
  readonly outcome: Promise<ChatOutcome>;
}

export interface EmbeddingsServeRequest {
  readonly tenantId: string;
  readonly requestId: string;
  readonly model: string;
  readonly input: readonly string[];
  readonly residency?: readonly string[] | undefined;
  readonly apiKeyId?: string | undefined;
  readonly dimensions?: number | undefined;
  readonly signal: AbortSignal;
  readonly onDispatch?: ((target: DispatchTarget) => void) | undefined;
}

export interface EmbeddingsResult {
  readonly admission: Admission;
  readonly vectors: readonly (readonly number[])[];
  readonly usage: { readonly inputTokens: number };
  readonly federa: ChatOutcome['federa'];
}

/** Implemented by the data plane (apps/api/src/dataplane/); the front doors depend only on this. */
export interface DataPlane {
  serveChat(req: ChatServeRequest): Promise<ChatStream>;
  serveEmbeddings(req: EmbeddingsServeRequest): Promise<EmbeddingsResult>;
}
