/**
 * The data plane's chat path: admit through the control plane (one eager workflow start, answered
 * in process), then stream from the chosen site's agent, failing over to the next site only before
 * the first byte. The usage record comes after the last token.
 */
import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { FederaError, effectiveResidency } from '@federa/domain';
import {
  SERVED_WORKFLOW_TYPE,
  requestWorkflowId,
  type AgentChatRequest,
  type AgentFrame,
  type AttemptSummary,
  reconcileInputOf,
  type AgentLiveness,
  type Admitted,
  type ReconcileInput,
  type ReconcileResult,
  type ServedHandoff,
  type ServedRequestInput,
  type ServedRequestResult,
  type SiteTarget,
  type UsageReport,
} from '@federa/workflows';
import type { Logger } from 'pino';
import { SPAN_ATTR, SpanKind, inSpan, streamInSpan } from '@federa/telemetry';
import type { ServedDeps } from '../context';
import { domainErrorOfWorkflow } from '../errors';
import { awaitAdmission, delay, HANDOFF_DEADLINE_MS } from './admission-wait';
import { openAgentChat } from './agent-client';
import { timedExchange, type LatencySampling } from './latency-sample';
import { firstGrant } from './grant-sizing';
import { abandon, acrossRoute, type FailoverDeps } from './failover';
import { countTokens, sealMessages } from './payload';
import type { Admission, ChatOutcome, ChatServeRequest, ChatStream } from './types';

export interface ChatPathDeps extends LatencySampling {
  readonly served: Pick<ServedDeps, 'tokenCounter' | 'payloadKeys' | 'topology'>;
  /** a client on the same connection as the in-process control worker (eager start needs both) */
  readonly client: Client;
  readonly handoff: ServedHandoff;
  /** the control plane's own post (reconcileUsage), idempotent by request id */
  readonly postUsage: (reconcile: ReconcileInput) => Promise<ReconcileResult>;
  readonly controlTaskQueue: string;
  readonly agents: AgentLiveness;
  readonly agentToken: string;
  /** the output ceiling when the client sets no max_tokens */
  readonly defaultMaxTokens: number;
  /** output tokens held at once: the first grant and each slice the agent asks for later */
  readonly grantSliceTokens: number;
  readonly log: Logger;
  /** told of failover attempts (each is a routing decision too) */
  readonly routeObserver?: FailoverDeps['routeObserver'];
}

type Settled = Pick<ReconcileResult, 'recordId' | 'usage' | 'retailCharge' | 'currency' | 'flags'>;

export async function serveChat(deps: ChatPathDeps, req: ChatServeRequest): Promise<ChatStream> {
  const topology = await deps.served.topology();
  const tenant = topology.tenant(req.tenantId);
  // refused here, before any workflow exists: nothing changes on a refusal
  const allowed = effectiveResidency(tenant.residency, req.residency, topology.groups);
  const inputTokens = await countTokens(deps.served, req.messages);
  // sealed while the control plane admits the request: the agent needs it only after admission
  const sealing = sealMessages(deps.served, topology, allowed, req.messages);
  sealing.catch(() => undefined);
  const input: ServedRequestInput = {
    tenantId: req.tenantId,
    requestId: req.requestId,
    model: req.model,
    kind: 'chat',
    inputTokens,
    ...firstGrant(req.maxTokens, {
      defaultMaxTokens: deps.defaultMaxTokens,
      sliceTokens: deps.grantSliceTokens,
    }),
    residency: req.residency,
    ...(req.apiKeyId ? { apiKeyId: req.apiKeyId } : {}),
  };
  const workflowId = requestWorkflowId(req.tenantId, req.requestId);
  const waiter = deps.handoff.expect(workflowId);
  try {
    const handle = await start(deps, workflowId, input);
    const admitted = await awaitAdmission(handle, waiter, 30_000);
    const payload = await sealing.catch(async (err: unknown) => {
      await abandon(handle, 'INTERNAL', 'the prompt could not be sealed', [], deps.log);
      throw err;
    });
    const agentRequest = (target: SiteTarget, before: readonly AttemptSummary[]): AgentChatRequest => ({
      siteId: target.siteId,
      workflowId,
      tenantId: req.tenantId,
      requestId: req.requestId,
      model: req.model,
      ...(payload.sealedMessages
        ? { sealedMessages: payload.sealedMessages }
        : { messages: payload.messages }),
      grantTokens: admitted.grantTokens,
      maxTokens: admitted.maxTokens ?? admitted.grantTokens,
      allowedJurisdictions: admitted.allowedJurisdictions,
      sampling: samplingOf(req),
      failedAttempts: before,
      timeoutMs: admitted.dispatchTimeoutMs,
    });
    return await acrossRoute(deps, handle, admitted, req.signal, async (target, url, before) => {
      req.onDispatch?.(target);
      // the agent's span lasts until its last frame; the agent continues the trace from its headers
      const frames = await streamInSpan(
        'agent.chat',
        {
          kind: SpanKind.CLIENT,
          attributes: {
            [SPAN_ATTR.requestId]: req.requestId,
            [SPAN_ATTR.siteId]: target.siteId,
            [SPAN_ATTR.jurisdiction]: target.jurisdiction,
          },
        },
        () =>
          // routing's sample: this attempt, timed on our clock to the agent's first byte
          timedExchange(deps, { region: tenant.region, siteId: target.siteId }, () =>
            openAgentChat(url, deps.agentToken, agentRequest(target, before), req.signal),
          ),
      );
      const admission: Admission = {
        requestId: req.requestId,
        siteId: target.siteId,
        operatorId: target.operatorId,
        jurisdiction: target.jurisdiction,
        policyVersion: admitted.policyVersion,
      };
      return streamOf(deps, handle, waiter, { input, admitted, admission }, frames);
    });
  } catch (err) {
    deps.handoff.forget(workflowId);
    throw err;
  }
}

function samplingOf(req: ChatServeRequest): Record<string, unknown> {
  const { temperature, top_p, stop, seed, user } = req.sampling;
  return Object.fromEntries(
    Object.entries({ temperature, top_p, stop, seed, user }).filter(([, v]) => v !== undefined),
  );
}

export async function start(
  deps: ChatPathDeps,
  workflowId: string,
  input: ServedRequestInput,
): Promise<WorkflowHandle & { eagerlyStarted?: boolean }> {
  try {
    return await deps.client.workflow.start(SERVED_WORKFLOW_TYPE, {
      taskQueue: deps.controlTaskQueue,
      workflowId,
      args: [input],
      // the first task (route + reserve) runs on this process's control worker: no extra round trip
      requestEagerStart: true,
      // the stream cannot be joined or replayed: a second start under a live or served id is refused;
      // a request that failed (nothing charged) runs again, its hold re-opened by the ledger
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const described = await deps.client.workflow.getHandle(workflowId).describe();
    if (described.status.name === 'RUNNING')
      throw new FederaError('REQUEST_IN_PROGRESS', `request '${input.requestId}' is being served right now`);
    throw new FederaError(
      'REQUEST_ALREADY_SERVED',
      `request '${input.requestId}' was served already; its usage is in the records (send a new request id for a new completion)`,
    );
  }
}

interface Served {
  readonly input: ServedRequestInput;
  readonly admitted: Admitted;
  readonly admission: Admission;
}

function streamOf(
  deps: ChatPathDeps,
  handle: WorkflowHandle,
  waiter: { readonly settled: Promise<ReconcileResult> },
  served: Served,
  frames: AsyncIterable<AgentFrame>,
): ChatStream {
  const { admission } = served;
  let end: Extract<AgentFrame, { t: 'end' }> | undefined;
  let ended!: () => void;
  const streamDone = new Promise<void>((r) => (ended = r));
  async function* deltas(): AsyncGenerator<string> {
    try {
      for await (const frame of frames) {
        if (frame.t === 'delta') yield frame.c;
        else if (frame.t === 'end') end = frame;
      }
    } finally {
      ended();
    }
  }
  const outcome = streamDone.then(async (): Promise<ChatOutcome> => {
    if (!end) {
      // the agent went away mid-stream: its workflow bills from the site's meter later
      throw new FederaError('SITE_UNAVAILABLE', `the agent of '${admission.siteId}' stopped mid-stream`);
    }
    const settled = await settle(deps, handle, waiter, served, end.report);
    return {
      usage: settled.usage,
      finishReason: end.report.finishReason,
      federa: {
        charge: settled.retailCharge,
        currency: settled.currency,
        site: admission.siteId,
        jurisdiction: admission.jurisdiction,
        recordId: settled.recordId,
        flags: settled.flags,
        ...(end.code ? { code: end.code } : {}),
      },
    };
  });
  outcome.catch(() => undefined); // a client that left never reads it
  return { admission, deltas: deltas(), outcome };
}

/**
 * The usage record of a served request, posted here from the agent's last frame: the control
 * plane's own reconcile (the same function, from reconcileInputOf, as the workflow's), run in this
 * process so the client's answer does not wait on a Temporal round trip. The agent reports the same
 * usage to the workflow, whose post is then a replay of this one (the ledger's post is idempotent
 * by request id): one record either way, and still one if this process dies right here. Should the
 * post fail here, the workflow's own settlement is awaited instead.
 */
export async function settle(
  deps: ChatPathDeps,
  handle: WorkflowHandle,
  waiter: { readonly settled: Promise<ReconcileResult> },
  served: Pick<Served, 'input' | 'admitted'>,
  report: UsageReport,
): Promise<Settled> {
  // slices granted after admission are the workflow's to count (its update history): a request
  // whose grant grew is posted by the workflow, and its record read from there
  const extended = report.grantedTokens !== undefined && report.grantedTokens !== served.admitted.grantTokens;
  const attributes = {
    [SPAN_ATTR.requestId]: served.input.requestId,
    [SPAN_ATTR.workflowId]: handle.workflowId,
  };
  return inSpan('federa.settle', { attributes }, async (span) => {
    span.setAttribute('federa.settle.by', extended ? 'workflow' : 'api');
    if (extended) return settlementOf(deps.handoff, handle, waiter);
    try {
      const posted = await deps.postUsage(reconcileInputOf(served.input, served.admitted, report).reconcile);
      deps.handoff.forget(handle.workflowId);
      return posted;
    } catch (err) {
      deps.log.warn(
        { err, request_id: served.input.requestId },
        'posting the usage from the API failed: waiting for the workflow to post it',
      );
      span.setAttribute('federa.settle.by', 'workflow');
      return settlementOf(deps.handoff, handle, waiter);
    }
  });
}

export async function settlementOf(
  handoff: Pick<ServedHandoff, 'forget'>,
  handle: WorkflowHandle,
  waiter: { readonly settled: Promise<ReconcileResult> },
): Promise<Settled> {
  const handedOver = await Promise.race([waiter.settled, delay(HANDOFF_DEADLINE_MS).then(() => null)]);
  if (handedOver) return handedOver;
  // the record will come from the workflow itself: nobody waits on the hand-off any more
  handoff.forget(handle.workflowId);
  try {
    const r = (await handle.result()) as ServedRequestResult;
    return {
      recordId: r.recordId,
      usage: r.usage,
      retailCharge: r.charge.amount,
      currency: r.charge.currency,
      flags: r.flags,
    };
  } catch (err) {
    throw domainErrorOfWorkflow(err) ?? err;
  }
}
