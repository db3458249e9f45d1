/**
 * tRPC `inference.complete` on the data plane: the same machinery as `/v1` (DataPlane.serveChat),
 * so the prompt and the completion never enter Temporal. tRPC does not stream: the deltas are
 * collected and the answer is written once the usage is recorded, in the shape tRPC clients have
 * always had (`completion`, `usage`, `charge`, `route`, `recordId`).
 *
 * The route's ranking, the sites tried and the amount held are the control plane's: they are read
 * from the finished served workflow's result (metadata only), after the outcome.
 */
import type { Client } from '@temporalio/client';
import { FederaError, isErrorCode } from '@federa/domain';
import { requestWorkflowId, type RequestWorkflowResult, type ServedRequestResult } from '@federa/workflows';
import { domainErrorOfWorkflow } from '../errors';
import type { ChatOutcome, ChatServeRequest, ChatStream, DataPlane } from '../dataplane/types';
import { NO_METER, type RequestMeter } from '../metrics/request-meter';

/**
 * What `inference.complete` answers: the old request workflow's result, unchanged, except that the
 * completion is never sealed (it crossed only the data plane).
 */
export type CompleteResult = Omit<RequestWorkflowResult, 'completion'> & {
  readonly completion: Omit<RequestWorkflowResult['completion'], 'sealedContent'>;
};

/** The old, Temporal-borne request workflow: only its running histories drain; nothing starts it. */
const LEGACY_WORKFLOW_TYPE = 'requestWorkflow';

export async function completeOnDataPlane(
  dataPlane: DataPlane,
  temporal: Client,
  req: ChatServeRequest,
  /** opens a completion an old request workflow sealed to the API's key */
  openLegacy: (sealedContent: string) => Promise<string>,
  /** this request's metrics: its dispatch */
  meter: RequestMeter = NO_METER,
): Promise<CompleteResult> {
  let stream: ChatStream;
  try {
    stream = await dataPlane.serveChat({ ...req, onDispatch: (target) => meter.dispatched(target) });
  } catch (err) {
    // a request id the old path was given: join it, or answer its first result, as before
    const legacy = await legacyAnswer(temporal, req, err, openLegacy);
    if (legacy) return legacy;
    await untilReleased(temporal, req, err);
    throw err;
  }
  // observed now: a rejection while the deltas are read is never unhandled
  stream.outcome.catch(() => undefined);
  let content = '';
  for await (const delta of stream.deltas) content += delta;
  const outcome = await stream.outcome;
  if (outcome.federa.code !== undefined && outcome.finishReason !== 'length') throw failedMidStream(outcome);
  const served = await servedResult(temporal, requestWorkflowId(req.tenantId, req.requestId));
  const { admission } = stream;
  return {
    requestId: req.requestId,
    model: req.model,
    completion: { role: 'assistant', content, finishReason: outcome.finishReason },
    usage: outcome.usage,
    charge: { amount: outcome.federa.charge, held: served.charge.held, currency: outcome.federa.currency },
    route: {
      siteId: admission.siteId,
      operatorId: admission.operatorId,
      jurisdiction: admission.jurisdiction,
      policyVersion: admission.policyVersion,
      candidates: served.candidates ?? [admission.siteId],
      attempts: served.attempts ?? [
        { siteId: admission.siteId, jurisdiction: admission.jurisdiction, outcome: 'served' },
      ],
    },
    recordId: outcome.federa.recordId,
  };
}

/**
 * A site failed after its first token: the delivered tokens are billed (the record exists) and
 * there is no whole completion to answer with. tRPC has no error event, so this is an error.
 */
function failedMidStream(outcome: ChatOutcome): FederaError {
  const code = outcome.federa.code!;
  return new FederaError(
    isErrorCode(code) ? code : 'SITE_UNAVAILABLE',
    `the generation failed after its first token (${code}); the delivered tokens are billed ` +
      `(record ${outcome.federa.recordId})`,
  );
}

/** How long a refused tRPC call waits for its workflow to release the hold before answering. */
const RELEASE_WAIT_MS = 5_000;

/**
 * A request refused after its workflow started (every site failed, a site refused it) answers once
 * the workflow has voided its hold, as tRPC always did: a caller that reads its account after the
 * refusal finds it as it was. The wait is bounded: the void happens in any case.
 */
async function untilReleased(temporal: Client, req: ChatServeRequest, err: unknown): Promise<void> {
  // other refusals came before any hold (admission refused it) or name someone else's workflow
  if (err instanceof FederaError && !AFTER_ADMISSION.has(err.code)) return;
  const ended = temporal.workflow
    .getHandle(requestWorkflowId(req.tenantId, req.requestId))
    .result()
    .catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, RELEASE_WAIT_MS)));
  await Promise.race([ended, waited]);
  clearTimeout(timer);
}

/** Refusals after the hold was taken: the data plane told the workflow, which voids it. */
const AFTER_ADMISSION: ReadonlySet<string> = new Set([
  'ALL_SITES_FAILED',
  'SITE_REJECTED',
  'RESIDENCY_VIOLATION',
]);

async function servedResult(temporal: Client, workflowId: string): Promise<ServedRequestResult> {
  try {
    return (await temporal.workflow.getHandle(workflowId).result()) as ServedRequestResult;
  } catch (err) {
    throw domainErrorOfWorkflow(err) ?? err;
  }
}

/**
 * While old request workflows drain, a request id one of them runs (or ran) under keeps the old
 * path's answer: a running one is joined, a completed one answers its first result. Any other
 * refusal (a served request id, REQUEST_IN_PROGRESS / REQUEST_ALREADY_SERVED) stands.
 */
async function legacyAnswer(
  temporal: Client,
  req: ChatServeRequest,
  err: unknown,
  openLegacy: (sealedContent: string) => Promise<string>,
): Promise<CompleteResult | null> {
  if (!(err instanceof FederaError)) return null;
  if (err.code !== 'REQUEST_IN_PROGRESS' && err.code !== 'REQUEST_ALREADY_SERVED') return null;
  const handle = temporal.workflow.getHandle(requestWorkflowId(req.tenantId, req.requestId));
  const described = await handle.describe();
  if (described.type !== LEGACY_WORKFLOW_TYPE) return null;
  let result: RequestWorkflowResult;
  try {
    result = (await handle.result()) as RequestWorkflowResult;
  } catch (failure) {
    throw domainErrorOfWorkflow(failure) ?? failure;
  }
  const { sealedContent, ...completion } = result.completion;
  return {
    requestId: result.requestId,
    model: result.model,
    completion: {
      ...completion,
      content: sealedContent ? await openLegacy(sealedContent) : completion.content,
    },
    usage: result.usage,
    charge: result.charge,
    route: result.route,
    recordId: result.recordId,
  };
}
