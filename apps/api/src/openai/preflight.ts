/**
 * What every /v1 inference request goes through before it reaches the data plane, in this order,
 * so that a refusal changes nothing: the caller (401/403), the residency it asks for (403), the
 * model (404), the prompt's size (413), then the request id's binding to this body (409), and
 * finally whether this API has a data plane at all (503).
 */
import type { ChatMessage } from '@federa/domain';
import { FederaError } from '@federa/domain';
import { chatChars } from '@federa/tokenizer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServedDeps } from '../context';
import type { DataPlane } from '../dataplane/types';
import { claimRequestId, type FingerprintInput } from '../request-fingerprint';
import { OpenAiHttpError } from './errors';
import { annotateRequest } from './request-span';
import { requireModel, tenantModels, type TenantModel } from './models';
import { keyLimitsOf, requestIdOf, residencyFor, type KeyLimits, type TenantCaller } from './tenant-call';

export interface Preflight {
  readonly requestId: string;
  readonly key: KeyLimits;
  /** the narrowing handed to the data plane */
  readonly residency: readonly string[] | undefined;
  readonly model: TenantModel;
  /** the prompt's characters (what a waiting request holds, roughly) */
  readonly chars: number;
  readonly dataPlane: DataPlane;
}

export interface PreflightInput {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly requestedResidency: readonly string[] | undefined;
  /** part of the request's fingerprint: absent for slice grants; 0 marks an embeddings request */
  readonly maxTokens: number | undefined;
}

/**
 * What the request id is bound to, in tRPC's terms: the same id with another body is refused, on
 * either door (a /v1 chat and a tRPC call with the same id, model, messages, max tokens and
 * residency are the same request).
 */
export function requestBinding(requestId: string, input: PreflightInput): FingerprintInput {
  return {
    requestId,
    model: input.model,
    messages: input.messages,
    max_tokens: input.maxTokens,
    residency: input.requestedResidency,
  };
}

export async function preflight(
  deps: ServedDeps,
  req: IncomingMessage,
  res: ServerResponse,
  caller: TenantCaller,
  input: PreflightInput,
): Promise<Preflight> {
  const requestId = requestIdOf(req);
  // every answer from here on, refusals included, names the request
  res.setHeader('x-request-id', requestId);
  const key = keyLimitsOf(caller.principal);
  const { narrowing } = residencyFor(caller, key, input.requestedResidency);
  // a model is the tenant's if it may be served anywhere it (and its key) allows; a narrower request
  // residency that no site serves is NO_ELIGIBLE_SITE from the route, as on tRPC
  const { allowed: keyAllowed } = residencyFor(caller, key, undefined);
  const models = tenantModels(caller.topology, caller.tenant, keyAllowed, key, Date.now());
  const model = requireModel(models, input.model);
  const chars = chatChars(input.messages);
  if (chars > deps.requestLimits.maxPromptChars)
    throw new FederaError(
      'PROMPT_TOO_LARGE',
      `the prompt has ${chars} characters; at most ${deps.requestLimits.maxPromptChars} are accepted`,
    );
  await claimRequestId(
    deps.ledger.redis,
    caller.tenant.id,
    requestBinding(requestId, input),
    deps.requestLimits.requestIdWindowMs,
  );
  if (!deps.dataPlane)
    throw new OpenAiHttpError(
      503,
      'DATA_PLANE_UNAVAILABLE',
      'this API has no data plane configured; retry later',
    );
  annotateRequest({ requestId, tenantId: caller.tenant.id, model: model.id });
  return { requestId, key, residency: narrowing, model, chars, dataPlane: deps.dataPlane };
}
