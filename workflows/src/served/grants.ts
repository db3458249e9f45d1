/**
 * Slice grants inside the served-request workflow (3GPP-style online charging): the admission holds
 * a first slice of the output tokens; the site agent asks for the next slice (update `extendGrant`)
 * before the current one runs out; each slice is added to the hold by a local activity, or refused
 * (budget, rate limit) and the agent stops the site at what was granted. The workflow keeps the
 * total granted: it is the ceiling the usage is reconciled against.
 *
 * Workflow code: deterministic (no I/O, no clock), extensions run one at a time, and an extension
 * number answered once is answered the same again (a retried update changes nothing).
 */
import { condition, setHandler } from '@temporalio/workflow';
import type { ExtendGrantInput, ExtendGrantOutcome } from './grant.activity';
import { extendGrantUpdate } from './signals';
import type { Admitted, GrantAnswer, GrantRequest, ServedRequestInput } from './types';

/** the most tokens one extension may ask for */
export const MAX_SLICE_TOKENS = 1_000_000;

export interface GrantLedger {
  /** total output tokens granted (first slice + extensions) */
  total(): number;
  /** the request's whole hold (minor units) after the last granted slice, or undefined before any */
  held(): number | undefined;
  /** resolves once no extension is being decided (before reconciling) */
  idle(): Promise<void>;
}

export function installGrants(opts: {
  readonly input: ServedRequestInput;
  readonly admitted: () => Admitted | null;
  /** the report (or the API's abandon) arrived: nothing more is granted */
  readonly closed: () => boolean;
  readonly extend: (input: ExtendGrantInput) => Promise<ExtendGrantOutcome>;
}): GrantLedger {
  const answers = new Map<number, GrantAnswer>();
  let extra = 0;
  let held: number | undefined;
  let ledgerSeq = 0;
  let busy = false;
  const total = () => (opts.admitted()?.grantTokens ?? 0) + extra;

  setHandler(
    extendGrantUpdate,
    async (req: GrantRequest): Promise<GrantAnswer> => {
      await condition(() => !busy);
      const known = answers.get(req.seq);
      if (known) return known;
      busy = true;
      try {
        const answer = await decide(req);
        answers.set(req.seq, answer);
        return answer;
      } finally {
        busy = false;
      }
    },
    {
      validator: (req: GrantRequest) => {
        if (!Number.isSafeInteger(req?.seq) || req.seq < 1) throw new Error('seq must be a positive integer');
        if (!Number.isSafeInteger(req.tokens) || req.tokens < 1 || req.tokens > MAX_SLICE_TOKENS)
          throw new Error(`tokens must be an integer in 1..${MAX_SLICE_TOKENS}`);
        if (!opts.admitted()) throw new Error('the request is not admitted');
        if (answers.has(req.seq)) return;
        if (opts.closed()) throw new Error('the usage report arrived: nothing more is granted');
        if (req.seq > answers.size + 1) throw new Error(`extension ${req.seq} before ${answers.size + 1}`);
      },
    },
  );

  async function decide(req: GrantRequest): Promise<GrantAnswer> {
    const plan = opts.admitted()!;
    const ceiling = plan.maxTokens ?? plan.grantTokens;
    const tokens = Math.min(req.tokens, ceiling - total());
    // at the ceiling the site was asked for no more anyway: nothing to hold
    if (tokens <= 0 || opts.closed()) return { grantedTokens: total() };
    // a new ledger number per attempt: one that failed half-way may have held, and must not be
    // mistaken for a replay of this one (a hold larger than the grant is released at the post)
    const seq = ++ledgerSeq;
    const outcome = await opts.extend({
      tenantId: opts.input.tenantId,
      requestId: opts.input.requestId,
      model: opts.input.model,
      inputTokens: opts.input.inputTokens,
      grantedTokens: total(),
      tokens,
      seq,
    });
    if (!outcome.ok) return { grantedTokens: total(), refused: outcome.code };
    extra += tokens;
    held = outcome.held;
    return { grantedTokens: total() };
  }

  return { total, held: () => held, idle: () => condition(() => !busy) };
}
