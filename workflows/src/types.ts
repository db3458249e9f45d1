/** Plain, serialisable inputs and outputs of the request workflow and its activities. */
import type { ChatMessage } from '@federa/domain';
import type { GeneralJWE } from 'jose';

export interface RequestWorkflowInput {
  readonly tenantId: string;
  readonly requestId: string;
  readonly model: string;
  /** clear messages (only where payload sealing is off, e.g. older histories) */
  readonly messages?: readonly ChatMessage[] | undefined;
  /** the messages sealed (JWE) to the keys of the jurisdictions the request may be served in */
  readonly sealedMessages?: GeneralJWE | undefined;
  /** input tokens, counted at the API edge so the orchestration never needs the prompt */
  readonly inputTokens?: number | undefined;
  readonly maxTokens: number;
  /** optional narrowing of the tenant's residency policy */
  readonly residency?: readonly string[] | undefined;
  /** the API key the request came with: its budget and rate limit are held with the tenant's */
  readonly apiKeyId?: string | undefined;
}

export interface SiteTarget {
  readonly siteId: string;
  readonly operatorId: string;
  readonly jurisdiction: string;
}

export interface RoutePlan {
  readonly route: readonly SiteTarget[];
  readonly allowedJurisdictions: readonly string[];
  readonly policyVersion: number;
  readonly maxAttempts: number;
  readonly inputTokens: number;
  /** retail estimate for input + max output tokens, minor units */
  readonly holdAmount: number;
  readonly holdTtlMs: number;
  readonly currency: string;
}

export interface ReserveHoldInput {
  readonly tenantId: string;
  readonly requestId: string;
  readonly amount: number;
  /** input + max output tokens, for the token-rate limit */
  readonly tokens: number;
  readonly ttlMs: number;
  /** the workflow run: a hold voided or expired under another run is re-opened (absent in old histories) */
  readonly attempt?: string | undefined;
  /** the API key whose budget and rate limit the hold also draws on (absent: the tenant's only) */
  readonly apiKeyId?: string | undefined;
}

export interface HoldSummary {
  readonly amount: number;
  readonly expiresAt: number;
}

export interface DispatchInput {
  /** the tenant, from which the site's idempotency key is derived (absent in older histories) */
  readonly tenantId?: string | undefined;
  readonly requestId: string;
  readonly siteId: string;
  readonly model: string;
  readonly messages?: readonly ChatMessage[] | undefined;
  readonly sealedMessages?: GeneralJWE | undefined;
  readonly maxTokens: number;
  /** the site agent refuses work for a request whose residency excludes its jurisdiction */
  readonly allowedJurisdictions: readonly string[];
  /** the site timeout sized from max_tokens (dispatch-timeout.ts); absent in older histories */
  readonly timeoutMs?: number | undefined;
}

export interface DispatchResult {
  readonly siteId: string;
  /** empty when the completion is sealed */
  readonly content: string;
  /** the completion sealed (JWE) to the API's key */
  readonly sealedContent?: string | undefined;
  readonly finishReason: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly startedAt: string;
  readonly completedAt: string;
  /** wall time of the HTTP exchange */
  readonly totalMs: number;
  /**
   * the agent's own time to the site, never a figure the site reports: routing's latency sample on
   * the legacy Temporal-dispatched path only (the data plane samples on the API's clock)
   */
  readonly networkMs: number;
}

export interface ReconcileInput {
  readonly tenantId: string;
  readonly requestId: string;
  readonly model: string;
  readonly served: SiteTarget;
  readonly dispatch: Omit<DispatchResult, 'content' | 'sealedContent' | 'finishReason'>;
  readonly policyVersion: number;
  readonly failedAttempts: number;
  /** the ranked site ids the request was routed with */
  readonly candidates: readonly string[];
  /** an earlier attempt timed out after reaching a site, which may have done work nobody pays for */
  readonly priorAttemptMayHaveServed: boolean;
  /** the API edge's input count: what input is billed at (the site's own count is only compared) */
  readonly edgeInputTokens: number;
  /** the request's max_tokens: billed output never exceeds it */
  readonly maxTokens: number;
  /** flags the caller already knows (e.g. CLIENT_DISCONNECT from the site agent's report) */
  readonly extraFlags?: readonly string[] | undefined;
  /**
   * who took this request's routing latency sample. 'api' (the data plane): the API timed the
   * served attempt on its own clock, WAN included, so the post records none. Absent or 'agent' (the
   * legacy Temporal-dispatched path): the post records `dispatch.networkMs`, the dispatching agent's
   * own time to the site.
   */
  readonly latencySampledBy?: 'agent' | 'api' | undefined;
}

export interface ReconcileResult {
  readonly recordId: string;
  /** the token counts billed (edge input, output clamped to max_tokens) */
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number };
  readonly retailCharge: number;
  readonly wholesaleCharge: number;
  readonly posted: number;
  readonly overage: number;
  readonly currency: string;
  readonly flags: readonly string[];
}

export interface AttemptSummary {
  readonly siteId: string;
  readonly jurisdiction: string;
  readonly outcome: 'served' | 'failed';
  readonly error?: string;
  /** the failure does not prove the site did nothing (a timeout after the request reached it) */
  readonly mayHaveServed?: boolean;
}

export interface RequestWorkflowResult {
  readonly requestId: string;
  readonly model: string;
  readonly completion: {
    readonly role: 'assistant';
    readonly content: string;
    readonly sealedContent?: string | undefined;
    readonly finishReason: string;
  };
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number };
  readonly charge: { readonly amount: number; readonly held: number; readonly currency: string };
  readonly route: {
    readonly siteId: string;
    readonly operatorId: string;
    readonly jurisdiction: string;
    readonly policyVersion: number;
    readonly candidates: readonly string[];
    readonly attempts: readonly AttemptSummary[];
  };
  readonly recordId: string;
}
