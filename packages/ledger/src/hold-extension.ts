/**
 * A pending hold grows by one slice of a request's output grant (3GPP-style online charging): the
 * workflow holds a first slice at admission and extends the hold while the site generates. This file
 * names the extension's arguments and turns the script's refusals into the Federa codes reserve uses.
 */
import { FederaError } from '@federa/domain';

export interface ExtendHoldArgs {
  readonly tenantId: string;
  readonly requestId: string;
  /** 1, 2, …: the extension's number; a repeated number changes nothing (a retry) */
  readonly seq: number;
  /** money added to the hold, minor units */
  readonly amount: number;
  /** rate-limit tokens added to the hold */
  readonly tokens: number;
}

/** The refusals an extension answers with (nothing changed), as the FederaError to throw. */
export function extensionRefusal(
  args: ExtendHoldArgs,
  raw: { status: string; available?: string; retryAfterMs?: number; state?: string },
): FederaError {
  switch (raw.status) {
    case 'BUDGET_EXCEEDED':
    case 'KEY_BUDGET_EXCEEDED': {
      const whose = raw.status === 'BUDGET_EXCEEDED' ? 'budget' : "API key's budget";
      return new FederaError(
        raw.status,
        `the next slice needs ${args.amount} more but only ${raw.available} remains in the ${whose}`,
        { needed: args.amount, available: Number(raw.available) },
      );
    }
    case 'RATE_LIMITED':
    case 'KEY_RATE_LIMITED': {
      const retryAfterMs = raw.retryAfterMs ?? -1;
      const whose = raw.status === 'RATE_LIMITED' ? "the tenant's" : "the API key's";
      return new FederaError(raw.status, `${whose} token rate limit does not cover the next slice`, {
        retryAfterMs: retryAfterMs < 0 ? null : retryAfterMs,
      });
    }
    case 'KEY_INVALID':
      return new FederaError('UNAUTHENTICATED', 'invalid API key');
    case 'UNKNOWN_TENANT':
      return new FederaError('UNKNOWN_TENANT', `no account for tenant '${args.tenantId}'`);
    case 'HOLD_NOT_FOUND':
    case 'HOLD_ALREADY_RESOLVED':
      return new FederaError(raw.status, `cannot extend request '${args.requestId}': ${raw.status}`, {
        state: raw.state,
      });
    default:
      return new FederaError('INTERNAL', `extend answered ${raw.status}`);
  }
}
