/**
 * Every failure the console shows names its Federa code (the same stable code the API, the CLI and
 * the OpenAI surface use), so an operator can search docs and logs for it.
 */
import { TRPCClientError } from '@trpc/client';

export interface ShownError {
  /** Federa's stable code, e.g. BUDGET_EXHAUSTED; NETWORK when the API could not be reached */
  readonly code: string;
  readonly message: string;
  /** seconds the API asked the caller to wait (429/503) */
  readonly retryAfter?: number;
  /** for INTERNAL: the reference the API logged the cause under */
  readonly correlationId?: string;
}

interface FederaErrorData {
  federaCode?: string;
  code?: string;
  retryAfter?: number;
  correlationId?: string;
}

/** A failure from a surface other than tRPC (the OpenAI-compatible /v1), with its Federa code. */
export class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function describeError(err: unknown): ShownError {
  if (err instanceof CodedError) return { code: err.code, message: err.message };
  if (err instanceof TRPCClientError) {
    const data = (err.data ?? {}) as FederaErrorData;
    const code = data.federaCode ?? data.code ?? (err.cause ? 'NETWORK' : 'UNKNOWN');
    return {
      code,
      message: err.message,
      ...(data.retryAfter ? { retryAfter: data.retryAfter } : {}),
      ...(data.correlationId ? { correlationId: data.correlationId } : {}),
    };
  }
  return { code: 'CONSOLE', message: err instanceof Error ? err.message : String(err) };
}
