/**
 * The local activity behind `extendGrant`: price the next slice of a request's output grant and add
 * it to the request's hold (the ledger's extendHold, idempotent per request and seq, so a retried
 * activity never holds twice). A refusal (budget, rate limit, revoked key) is an answer, not a
 * failure: the agent then stops the site at what was granted.
 */
import { FederaError, priceUsage } from '@federa/domain';
import type { ControlDeps } from '../control.activities';

export interface ExtendGrantInput {
  readonly tenantId: string;
  readonly requestId: string;
  readonly model: string;
  /** the prompt's tokens as the edge counted them (the hold's input part) */
  readonly inputTokens: number;
  /** output tokens granted so far, and the slice asked on top */
  readonly grantedTokens: number;
  readonly tokens: number;
  /** the ledger's extension number for this request (1, 2, …) */
  readonly seq: number;
}

export type ExtendGrantOutcome =
  /** `held`: the request's whole hold after the slice, minor units */
  | { readonly ok: true; readonly held: number }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** refusals that leave the hold as it was: the agent stops the site at the granted total */
const REFUSALS = new Set([
  'BUDGET_EXCEEDED',
  'KEY_BUDGET_EXCEEDED',
  'RATE_LIMITED',
  'KEY_RATE_LIMITED',
  'UNAUTHENTICATED',
  'HOLD_NOT_FOUND',
  'HOLD_ALREADY_RESOLVED',
  'UNKNOWN_MODEL',
]);

/** Money the slice adds: the hold for the larger grant minus the hold for the current one (exact). */
export function slicePrice(
  price: { readonly inputPer1M: number; readonly outputPer1M: number },
  inputTokens: number,
  grantedTokens: number,
  tokens: number,
): number {
  return (
    priceUsage(price, inputTokens, grantedTokens + tokens) - priceUsage(price, inputTokens, grantedTokens)
  );
}

export function createGrantActivity(deps: ControlDeps) {
  const now = deps.clock ?? Date.now;
  return async function extendGrant(input: ExtendGrantInput): Promise<ExtendGrantOutcome> {
    try {
      const topology = await deps.topology();
      const home = topology.operator(topology.tenant(input.tenantId).homeOperator);
      const retail = topology.rateAt(home.id, input.model, now())?.retail;
      if (!retail) throw new FederaError('UNKNOWN_MODEL', `no price for '${input.model}' at '${home.id}'`);
      const hold = await deps.ledger.extendHold({
        tenantId: input.tenantId,
        requestId: input.requestId,
        seq: input.seq,
        amount: slicePrice(retail, input.inputTokens, input.grantedTokens, input.tokens),
        tokens: input.tokens,
      });
      return { ok: true, held: hold.amount };
    } catch (err) {
      if (err instanceof FederaError && REFUSALS.has(err.code))
        return { ok: false, code: err.code, message: err.message };
      throw err;
    }
  };
}
