/**
 * The data-plane protocol between the API and a site agent: one HTTP request per attempt, answered
 * with newline-delimited JSON frames. The agent answers 200 only once the site produced its first
 * token (or finished), so the API can still fail over to the next site on any earlier error; after
 * that, the stream is the request's and errors end it.
 */
import type { GeneralJWE } from 'jose';
import type { AttemptSummary } from '../types';
import type { UsageReport } from './types';

export const AGENT_CHAT_PATH = '/agent/v1/chat';
export const AGENT_EMBEDDINGS_PATH = '/agent/v1/embeddings';

export interface AgentChatRequest {
  readonly siteId: string;
  /** the served-request workflow the agent reports usage to */
  readonly workflowId: string;
  readonly tenantId: string;
  readonly requestId: string;
  readonly model: string;
  /** the messages sealed to the jurisdictions' keys (clear `messages` only where sealing is off) */
  readonly sealedMessages?: GeneralJWE | undefined;
  readonly messages?: readonly { role: string; content: string }[] | undefined;
  /** output tokens the workflow granted at admission (the first slice) */
  readonly grantTokens: number;
  /**
   * the ceiling (the client's max_tokens): the site is asked for this much, and the agent asks the
   * workflow for further slices (update extendGrant) as it relays; absent = grantTokens, no slices
   */
  readonly maxTokens?: number | undefined;
  readonly allowedJurisdictions: readonly string[];
  readonly sampling: Readonly<Record<string, unknown>>;
  /** sites tried before this one, for the record */
  readonly failedAttempts: readonly AttemptSummary[];
  /** the agent's budget for the whole exchange, ms */
  readonly timeoutMs: number;
}

export interface AgentEmbeddingsRequest {
  readonly siteId: string;
  readonly workflowId: string;
  readonly tenantId: string;
  readonly requestId: string;
  readonly model: string;
  readonly sealedInput?: GeneralJWE | undefined;
  readonly input?: readonly string[] | undefined;
  readonly dimensions?: number | undefined;
  readonly allowedJurisdictions: readonly string[];
  readonly failedAttempts: readonly AttemptSummary[];
  readonly timeoutMs: number;
}

/** A frame of the agent's answer. */
export type AgentFrame =
  | { readonly t: 'delta'; readonly c: string }
  | { readonly t: 'end'; readonly report: UsageReport; readonly code?: string | undefined };

/** The agent's refusal before the first byte: the API may try the next site unless `final`. */
export interface AgentRefusal {
  readonly code: string;
  readonly message: string;
  /** trying another site cannot help (e.g. a residency violation) */
  readonly final: boolean;
  /** the failure does not prove the site did nothing */
  readonly mayHaveServed: boolean;
}
