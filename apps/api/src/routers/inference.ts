import { applyKeyScope, type Principal } from '@federa/auth';
import { openCompact } from '@federa/sealing';
import { chatChars } from '@federa/tokenizer';
import { TRPCError } from '@trpc/server';
import {
  FederaError,
  completeInputSchema,
  effectiveResidency,
  type CompleteInput,
  type Tenant,
  type TopologyIndex,
} from '@federa/domain';
import type { Context } from '../context';
import { ClientGoneError } from '../admission';
import { claimRequestId } from '../request-fingerprint';
import { router, tenantProcedure } from '../trpc';
import { completeOnDataPlane, type CompleteResult } from './complete-on-data-plane';
import { NO_METER, type RequestMeter } from '../metrics/request-meter';
import { outcomeCodeOf } from '../metrics/outcome-code';

export const inferenceRouter = router({
  /**
   * Run one request through the federation, on the data plane as `/v1` does: the control-plane
   * workflow (id: tenant + request id) routes and holds, the prompt and the completion travel only
   * API ↔ site agent ↔ site, never through Temporal. The same request id sent again while it is
   * served is REQUEST_IN_PROGRESS, after it was served REQUEST_ALREADY_SERVED (its completion is
   * kept nowhere; its usage is in the records): one charge either way. A request that failed
   * (refused, nothing charged) runs again under its id; another body under a used id is refused
   * with IDEMPOTENCY_KEY_REUSED.
   */
  complete: tenantProcedure.input(completeInputSchema).mutation(async ({ ctx, input, signal }) => {
    // metered from here: a caller refused by authentication never reaches the procedure
    const meter = ctx.deps.metrics?.start('trpc.inference.complete') ?? NO_METER;
    meter.identify({ tenant: ctx.tenant, topology: ctx.topology, model: input.model });
    try {
      const result = await complete(ctx, input, signal, meter);
      // the answer is written as soon as the procedure returns
      meter.firstByte();
      meter.finish('OK');
      return result;
    } catch (err) {
      meter.finish(outcomeCodeOf(err));
      throw err;
    }
  }),
});

/** What a tenant procedure sees (trpc.ts's tenantProcedure adds the tenant and topology). */
type TenantContext = Context & {
  readonly principal: Principal;
  readonly tenant: Tenant;
  readonly topology: TopologyIndex;
};

/** The request itself, refused before any work when its body or residency is not acceptable. */
async function complete(
  ctx: TenantContext,
  input: CompleteInput,
  signal: AbortSignal | undefined,
  meter: RequestMeter,
): Promise<CompleteResult> {
  const { deps, tenant } = ctx;
  // An API key's model allow-list and residency narrowing, then the tenant's policy. Refuse bad
  // residency here, before any workflow exists: nothing changes on a refusal.
  const apiKey = ctx.principal.apiKey;
  const residency = applyKeyScope(apiKey, input, ctx.topology.groups);
  effectiveResidency(tenant.residency, residency, ctx.topology.groups);
  // Refuse oversized prompts before spending any CPU on them.
  const chars = chatChars(input.messages);
  if (chars > deps.requestLimits.maxPromptChars) {
    throw new FederaError(
      'PROMPT_TOO_LARGE',
      `the prompt has ${chars} characters; at most ${deps.requestLimits.maxPromptChars} are accepted`,
    );
  }
  const dataPlane = deps.dataPlane;
  if (!dataPlane)
    throw new FederaError('DATA_PLANE_UNAVAILABLE', 'this API has no data plane configured; retry later');
  // the id is bound to this body only once the body is known to be acceptable
  await claimRequestId(deps.ledger.redis, tenant.id, input, deps.requestLimits.requestIdWindowMs);
  // createCaller has no request signal: such a caller never leaves
  const clientSignal = signal ?? new AbortController().signal;
  // a waiting request holds its prompt (UTF-16); the data plane seals a copy once it runs
  const ticket = { tenantId: tenant.id, bytes: chars * 2, signal: clientSignal };
  const keys = deps.payloadKeys;
  return deps.admission
    .run(ticket, () =>
      completeOnDataPlane(
        dataPlane,
        deps.temporal,
        {
          tenantId: tenant.id,
          requestId: input.requestId,
          model: input.model,
          messages: input.messages,
          maxTokens: input.max_tokens,
          residency,
          apiKeyId: apiKey?.id,
          sampling: {},
          signal: clientSignal,
        },
        async (sealed) => (keys ? openCompact(sealed, keys.apiPrivate) : ''),
        meter,
      ),
    )
    .catch((err: unknown) => {
      if (err instanceof ClientGoneError || clientSignal.aborted)
        throw new TRPCError({ code: 'CLIENT_CLOSED_REQUEST', message: 'the client disconnected' });
      throw err;
    });
}
