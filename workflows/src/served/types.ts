/**
 * Inputs and outputs of the served-request workflow: metadata only. The prompt and the completion
 * never enter the workflow (they stream API ↔ site agent ↔ site), so Temporal's history holds no
 * payload at all, sealed or not.
 */
import type { AttemptSummary, SiteTarget } from '../types';

export type ServedKind = 'chat' | 'embeddings';

export interface ServedRequestInput {
  readonly tenantId: string;
  readonly requestId: string;
  readonly model: string;
  readonly kind: ServedKind;
  /** counted at the API edge from the prompt, which the workflow never sees */
  readonly inputTokens: number;
  /** the output tokens the request may use at most (max_tokens, or the ceiling for none; 0 for embeddings) */
  readonly maxTokens: number;
  /**
   * the first slice of that, held at admission (absent: all of maxTokens); the site agent asks the
   * workflow for more (extendGrant) while the site generates
   */
  readonly grantTokens?: number | undefined;
  readonly residency?: readonly string[] | undefined;
  /** the API key the request came with (its own limits apply in the reserve) */
  readonly apiKeyId?: string | undefined;
}

/** What the first workflow task decides, handed back to the API before any byte is sent. */
export interface Admitted {
  readonly route: readonly SiteTarget[];
  readonly allowedJurisdictions: readonly string[];
  readonly policyVersion: number;
  readonly maxAttempts: number;
  readonly holdAmount: number;
  readonly currency: string;
  /** the output tokens held at admission: what the site may generate until a slice more is granted */
  readonly grantTokens: number;
  /** the ceiling the slices may reach (the client's max_tokens); absent in older histories = grantTokens */
  readonly maxTokens?: number | undefined;
  /** how long the agent may take (sized from the grant), ms */
  readonly dispatchTimeoutMs: number;
  /** beyond that, how long the workflow waits for the agent's report before asking the site's meter */
  readonly reportGraceMs: number;
}

/**
 * The site agent's account of what it relayed, sent to the workflow when the stream ends (also when
 * the API or the client went away mid-stream). The agent counted the relayed text itself.
 */
export interface UsageReport {
  readonly siteId: string;
  /** what the site says it used (-1: it did not say) */
  readonly siteInputTokens: number;
  readonly siteOutputTokens: number;
  /** output tokens the agent relayed, by its own count (the billing basis, clamped to the grant) */
  readonly relayedTokens: number;
  /** the output tokens granted in all (first slice and extensions) as the agent knew them */
  readonly grantedTokens?: number | undefined;
  readonly finishReason: string;
  /** CLIENT_DISCONNECT, SITE_FAILED_MID_STREAM, AGENT_LOST, … */
  readonly flags: readonly string[];
  /** sites tried before this one, before any byte (failover) */
  readonly failedAttempts: readonly AttemptSummary[];
  /**
   * wall time of the site exchange, and the agent's own time to the site's first token (its metric
   * only: routing's sample is taken by the API, through the WAN, on its own clock)
   */
  readonly totalMs: number;
  readonly networkMs: number;
}

/** The API gave up before any site produced a byte: nothing served, the hold is voided. */
export interface DispatchAbandoned {
  readonly code: string;
  readonly message: string;
  readonly attempts: readonly AttemptSummary[];
}

export interface ServedRequestResult {
  readonly requestId: string;
  readonly recordId: string;
  readonly siteId: string;
  readonly operatorId: string;
  readonly jurisdiction: string;
  readonly policyVersion: number;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number };
  readonly charge: { readonly amount: number; readonly held: number; readonly currency: string };
  readonly flags: readonly string[];
  /** the ranked site ids the request was routed with (absent in results of older histories) */
  readonly candidates?: readonly string[] | undefined;
  /** the sites tried, in order: failed ones before the first byte, then the one that served */
  readonly attempts?: readonly AttemptSummary[] | undefined;
}

/** A site's own usage meter for one request key, read when the agent never reported. */
export interface SiteMeterReading {
  readonly siteId: string;
  /** 'unknown': the site never saw the key; 'unreachable': the meter could not be read */
  readonly state: 'generating' | 'completed' | 'cancelled' | 'unknown' | 'unreachable';
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** The site agent asks for the next slice of the output grant (update `extendGrant`). */
export interface GrantRequest {
  /** 1, 2, …: the agent's extension number; the same number again gets the same answer */
  readonly seq: number;
  /** output tokens wanted on top of what is granted */
  readonly tokens: number;
}

export interface GrantAnswer {
  /** output tokens granted in all, after this answer */
  readonly grantedTokens: number;
  /** set when nothing more was granted: the Federa code (BUDGET_EXCEEDED, KEY_BUDGET_EXCEEDED, …) */
  readonly refused?: string | undefined;
}
