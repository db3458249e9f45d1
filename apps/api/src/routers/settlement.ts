import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import {
  FederaError,
  disputeInputSchema,
  inclusionInputSchema,
  periodInputSchema,
  resolveInputSchema,
  statementGetSchema,
  statementRecordsSchema,
  statementRefSchema,
  verifyInputSchema,
  operatorFilterSchema,
} from '@federa/domain';
import {
  computeStatements,
  periodById,
  periodOf,
  proveInclusion,
  verifyInclusion,
  verifyStatement,
  type StatementPayload,
} from '@federa/settlement';
import { settlementWorkflowId } from '@federa/workflows';
import type { ApiDeps } from '../context';
import { adminProcedure, authedProcedure, operatorOrAdminProcedure, router, tenantProcedure } from '../trpc';
import { toCsv } from './statement-csv';

/** A statement as its parties see it; anyone else (but admins) is told it does not exist. */
async function loadFor(deps: ApiDeps, statementId: string, scope: string | null) {
  const s = deps.settlement;
  const jws = await s.store.get(statementId);
  if (!jws) throw new FederaError('NOT_FOUND', `no statement '${statementId}'`);
  const { payload } = await verifyStatement(jws, s.jwks);
  if (scope !== null && !payload.parties.includes(scope))
    throw new FederaError('NOT_FOUND', `no statement '${statementId}'`);
  const lifecycle = await s.store.lifecycle(statementId);
  return { jws, payload, lifecycle };
}

function summary(payload: StatementPayload) {
  return {
    statementId: payload.statementId,
    period: payload.period,
    parties: payload.parties,
    net: payload.net,
    lines: payload.lines.length,
    currency: payload.settlementCurrency,
  };
}

export const settlementRouter = router({
  /** The clearing key(s) statements are signed with (also at /.well-known/federa-clearing-jwks.json). */
  jwks: authedProcedure.query(({ ctx }) => ctx.deps.settlement.jwks),

  list: operatorOrAdminProcedure.input(operatorFilterSchema).query(async ({ ctx, input }) => {
    const ids = await ctx.deps.settlement.store.forOperator(ctx.scope ?? input.operator ?? null);
    return Promise.all(
      ids.map(async (id) => {
        const { payload, lifecycle } = await loadFor(ctx.deps, id, ctx.scope);
        return { ...summary(payload), status: lifecycle?.status ?? 'issued' };
      }),
    );
  }),

  get: operatorOrAdminProcedure.input(statementGetSchema).query(async ({ ctx, input }) => {
    const { jws, payload, lifecycle } = await loadFor(ctx.deps, input.statementId, ctx.scope);
    return {
      statementId: payload.statementId,
      jws,
      statement: payload,
      lifecycle,
      ...(input.format === 'csv' ? { csv: toCsv(payload) } : {}),
    };
  }),

  /** The usage records behind one line, in the order the line's Merkle root commits to. */
  records: operatorOrAdminProcedure.input(statementRecordsSchema).query(async ({ ctx, input }) => {
    const { payload } = await loadFor(ctx.deps, input.statementId, ctx.scope);
    if (!payload.lines.some((l) => l.lineNo === input.lineNo))
      throw new FederaError('NOT_FOUND', `no line ${input.lineNo}`);
    return {
      recordRefs: await ctx.deps.settlement.store.refs(
        input.statementId,
        input.lineNo,
        input.offset,
        input.limit,
      ),
    };
  }),

  accept: operatorOrAdminProcedure.input(statementRefSchema).mutation(async ({ ctx, input }) => {
    if (ctx.scope === null) throw new FederaError('FORBIDDEN', 'only a party to the statement accepts it');
    const { lifecycle } = await loadFor(ctx.deps, input.statementId, ctx.scope);
    if (!lifecycle || lifecycle.status === 'disputed')
      throw new FederaError('STATEMENT_STATE', `statement is ${lifecycle?.status ?? 'unknown'}`);
    const acceptedBy = [...new Set([...lifecycle.acceptedBy, ctx.scope])].sort();
    const next = {
      ...lifecycle,
      acceptedBy,
      status: acceptedBy.length === 2 ? ('accepted' as const) : lifecycle.status,
    };
    await ctx.deps.settlement.store.setLifecycle(input.statementId, next);
    await ctx.deps.audit.append(
      ctx.principal,
      'settlement.accept',
      `statement:${input.statementId}`,
      lifecycle,
      next,
    );
    return next;
  }),

  /** Dispute with the operator's own totals; the difference is shown and kept line by line. */
  dispute: operatorOrAdminProcedure.input(disputeInputSchema).mutation(async ({ ctx, input }) => {
    if (ctx.scope === null) throw new FederaError('FORBIDDEN', 'only a party to the statement disputes it');
    const { payload, lifecycle } = await loadFor(ctx.deps, input.statementId, ctx.scope);
    if (!lifecycle || lifecycle.status !== 'issued')
      throw new FederaError('STATEMENT_STATE', `statement is ${lifecycle?.status ?? 'unknown'}`);
    const lines = input.lines.map(({ lineNo, amount }) => {
      const line = payload.lines.find((l) => l.lineNo === lineNo);
      if (!line) throw new FederaError('VALIDATION_FAILED', `statement has no line ${lineNo}`);
      return { lineNo, claimed: amount, stated: line.settledAmount, difference: amount - line.settledAmount };
    });
    const next = {
      ...lifecycle,
      status: 'disputed' as const,
      dispute: { by: ctx.scope, at: new Date().toISOString(), lines },
    };
    await ctx.deps.settlement.store.setLifecycle(input.statementId, next);
    await ctx.deps.audit.append(
      ctx.principal,
      'settlement.dispute',
      `statement:${input.statementId}`,
      lifecycle,
      next,
    );
    return next;
  }),

  /** An admin settles a dispute with an adjustment that lands in the next open period. */
  resolve: adminProcedure.input(resolveInputSchema).mutation(async ({ ctx, input }) => {
    const s = ctx.deps.settlement;
    const { payload, lifecycle } = await loadFor(ctx.deps, input.statementId, null);
    if (!lifecycle || lifecycle.status !== 'disputed')
      throw new FederaError(
        'STATEMENT_STATE',
        `statement is ${lifecycle?.status ?? 'unknown'}, not disputed`,
      );
    if (
      !payload.parties.includes(input.creditor) ||
      !payload.parties.includes(input.debtor) ||
      input.creditor === input.debtor
    ) {
      throw new FederaError(
        'VALIDATION_FAILED',
        'creditor and debtor must be the two parties of the statement',
      );
    }
    const targetPeriod = periodOf(Date.now() + s.config.graceMs, s.config.periodMs).id;
    const adjustment = {
      statementId: input.statementId,
      originalPeriod: payload.period.id,
      creditor: input.creditor,
      debtor: input.debtor,
      amount: input.amount,
    };
    await s.store.addAdjustment(targetPeriod, adjustment);
    const next = {
      ...lifecycle,
      status: 'resolved' as const,
      resolution: { ...adjustment, by: ctx.principal.subject, at: new Date().toISOString(), targetPeriod },
    };
    await s.store.setLifecycle(input.statementId, next);
    await ctx.deps.audit.append(
      ctx.principal,
      'settlement.resolve',
      `statement:${input.statementId}`,
      lifecycle,
      next,
    );
    return next;
  }),

  /** Check a statement's signature and, by default, recompute its totals from the usage records. */
  verify: authedProcedure.input(verifyInputSchema).mutation(async ({ ctx, input }) => {
    const s = ctx.deps.settlement;
    let verified;
    try {
      verified = await verifyStatement(input.jws, s.jwks);
    } catch (err) {
      return { signatureValid: false, reason: (err as Error).message, totalsMatch: null, differences: [] };
    }
    const { payload, kid } = verified;
    if (!input.recompute)
      return {
        signatureValid: true,
        kid,
        statementId: payload.statementId,
        totalsMatch: null,
        differences: [],
      };
    const { statements } = await computeStatements(
      { ledger: ctx.deps.ledger, store: s.store, topology: ctx.deps.topology, config: s.config },
      payload.period.id,
    );
    const again = statements.find((x) => x.payload.statementId === payload.statementId)?.payload;
    const differences = payload.lines.flatMap((l) => {
      const r = again?.lines.find((x) => x.lineNo === l.lineNo);
      const fields = ['records', 'amount', 'settledAmount', 'merkleRoot'] as const;
      return fields
        .filter((f) => r?.[f] !== l[f])
        .map((f) => ({ lineNo: l.lineNo, field: f, stated: l[f], recomputed: r?.[f] ?? null }));
    });
    return {
      signatureValid: true,
      kid,
      statementId: payload.statementId,
      totalsMatch: differences.length === 0 && again?.lines.length === payload.lines.length,
      differences,
    };
  }),

  /** A Merkle inclusion proof that a usage record is counted in a statement line. */
  proveInclusion: operatorOrAdminProcedure.input(inclusionInputSchema).query(async ({ ctx, input }) => {
    const { payload } = await loadFor(ctx.deps, input.statementId, ctx.scope);
    for (const line of payload.lines) {
      const refs = await ctx.deps.settlement.store.allRefs(input.statementId, line.lineNo);
      const proof = proveInclusion(refs, input.recordRef);
      if (proof)
        return {
          lineNo: line.lineNo,
          lineRoot: line.merkleRoot,
          proof,
          verified: verifyInclusion(proof, line.merkleRoot),
        };
    }
    throw new FederaError('NOT_FOUND', `record '${input.recordRef}' is in no line of this statement`);
  }),

  /** Settle one period by hand; the same period settled again yields the same statement. */
  run: adminProcedure.input(periodInputSchema).mutation(async ({ ctx, input }) => {
    const s = ctx.deps.settlement;
    const period = periodById(new Date(input.periodId).toISOString(), s.config.periodMs);
    if (period.endMs + s.config.graceMs > Date.now())
      throw new FederaError('VALIDATION_FAILED', 'that period has not closed yet (end + grace window)');
    const workflowId = settlementWorkflowId(s.namespace, period.id);
    let handle;
    try {
      handle = await ctx.deps.temporal.workflow.start('settlementWorkflow', {
        taskQueue: ctx.deps.controlTaskQueue,
        workflowId,
        args: [{ periodId: period.id }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      handle = ctx.deps.temporal.workflow.getHandle(workflowId);
    }
    await ctx.deps.audit.append(ctx.principal, 'settlement.run', `period:${period.id}`, null, { workflowId });
    return handle.result() as Promise<unknown>;
  }),

  /** A tenant's retail usage in a period (by record time), per model. */
  tenantStatement: tenantProcedure.input(periodInputSchema).query(async ({ ctx, input }) => {
    const s = ctx.deps.settlement;
    const period = periodById(new Date(input.periodId).toISOString(), s.config.periodMs);
    const byModel = new Map<
      string,
      { model: string; requests: number; inputTokens: number; outputTokens: number; amount: number }
    >();
    let currency = ctx.topology.operator(ctx.tenant.homeOperator).currency;
    for await (const r of ctx.deps.ledger.usageBetween(
      ctx.tenant.id,
      period.startMs,
      period.endMs + s.config.graceMs,
    )) {
      const at = Date.parse(r.completedAt);
      if (at < period.startMs || at >= period.endMs) continue;
      const m = byModel.get(r.model) ?? {
        model: r.model,
        requests: 0,
        inputTokens: 0,
        outputTokens: 0,
        amount: 0,
      };
      m.requests++;
      m.inputTokens += r.inputTokens;
      m.outputTokens += r.outputTokens;
      m.amount += r.retailCharge;
      currency = r.currency;
      byModel.set(r.model, m);
    }
    const models = [...byModel.values()].sort((a, b) => a.model.localeCompare(b.model));
    return {
      tenantId: ctx.tenant.id,
      homeOperator: ctx.tenant.homeOperator,
      period: period.id,
      currency,
      models,
      total: models.reduce((t, m) => t + m.amount, 0),
    };
  }),
});
