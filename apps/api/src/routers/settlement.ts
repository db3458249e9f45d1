import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Principal } from '@federa/auth';
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
  acceptBy,
  computeStatements,
  creditNoteFor,
  disputeBy,
  isFinal,
  minorUnitMicros,
  resolveWith,
  resolveWithCreditNote,
  type Transitioned,
  usageReader,
  periodById,
  defaultSchedule,
  guardScheduleHistory,
  periodIn,
  scheduleOfPair,
  proveInclusion,
  proveRecord,
  statementRecords,
  verifyInclusion,
  type InclusionProof,
  verifyStatement,
} from '@federa/settlement';
import { settlementWorkflowId } from '@federa/workflows';
import type { ApiDeps } from '../context';
import { domainErrorOfWorkflow } from '../errors';
import { adminProcedure, authedProcedure, operatorOrAdminProcedure, router, tenantProcedure } from '../trpc';
import { toCsv } from './statement-csv';
import { summary } from './statement-summary';

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

/** One audit entry per change; a replayed accept changed nothing and leaves none. */
async function audit(
  ctx: { deps: ApiDeps; principal: Principal },
  procedure: string,
  statementId: string,
  t: Transitioned,
) {
  if (t.changed)
    await ctx.deps.audit.append(ctx.principal, procedure, `statement:${statementId}`, t.before, t.after);
}

export const settlementRouter = router({
  /** The clearing key(s) statements are signed with (also at /.well-known/federa-clearing-jwks.json). */
  jwks: authedProcedure.query(({ ctx }) => ctx.deps.settlement.jwks),

  list: operatorOrAdminProcedure.input(operatorFilterSchema).query(async ({ ctx, input }) => {
    const ids = await ctx.deps.settlement.store.forOperator(ctx.scope ?? input.operator ?? null);
    return Promise.all(
      ids.map(async (id) => {
        const { payload, lifecycle } = await loadFor(ctx.deps, id, ctx.scope);
        return summary(payload, lifecycle?.status ?? 'issued');
      }),
    );
  }),

  get: operatorOrAdminProcedure.input(statementGetSchema).query(async ({ ctx, input }) => {
    const { jws, payload, lifecycle } = await loadFor(ctx.deps, input.statementId, ctx.scope);
    const creditNoteId = lifecycle?.resolution?.creditNoteId;
    const note = creditNoteId ? await ctx.deps.settlement.store.creditNote(creditNoteId) : null;
    return {
      statementId: payload.statementId,
      jws,
      statement: payload,
      lifecycle,
      disputeDeadline: payload.disputeDeadline ?? null,
      final: isFinal(payload.disputeDeadline, lifecycle?.status ?? 'issued', Date.now()),
      /** a resolution's credit note: its JWS once the settlement worker signed it, else pending */
      creditNote: note && creditNoteId ? { creditNoteId, ...note } : null,
      ...(input.format === 'csv' ? { csv: toCsv(payload) } : {}),
    };
  }),

  /**
   * The usage records behind one line, in the order the line's Merkle root commits to. Version 1:
   * the stored references, paged by offset. Version 2: derived from the usage streams, paged by a
   * cursor (`after`: the last reference of the previous page; `next` is null on the last page).
   */
  records: operatorOrAdminProcedure.input(statementRecordsSchema).query(async ({ ctx, input }) => {
    const s = ctx.deps.settlement;
    const { payload } = await loadFor(ctx.deps, input.statementId, ctx.scope);
    if (!payload.lines.some((l) => l.lineNo === input.lineNo))
      throw new FederaError('NOT_FOUND', `no line ${input.lineNo}`);
    if (payload.version === 1) {
      if (input.after !== undefined)
        throw new FederaError('VALIDATION_FAILED', 'version-1 statements are paged by offset, not after');
      const recordRefs = await s.store.refs(input.statementId, input.lineNo, input.offset, input.limit);
      return { recordRefs, next: null };
    }
    if (input.offset !== 0)
      throw new FederaError(
        'VALIDATION_FAILED',
        'page version-2 statements with after (a cursor), not offset',
      );
    const recordRefs: string[] = [];
    const derived = statementRecords(
      usageReader(ctx.deps.ledger, s.store, s.config.archive),
      { topology: await ctx.deps.topology(), periodMs: s.config.periodMs, schedule: s.config.schedule },
      payload,
      { lineNo: input.lineNo, after: input.after },
    );
    for await (const { ref } of derived) {
      recordRefs.push(ref);
      if (recordRefs.length === input.limit) break;
    }
    return { recordRefs, next: recordRefs.length === input.limit ? recordRefs.at(-1)! : null };
  }),

  /** A party accepts; accepting again is a replay. Both parties' acceptances make it `accepted`. */
  accept: operatorOrAdminProcedure.input(statementRefSchema).mutation(async ({ ctx, input }) => {
    if (ctx.scope === null) throw new FederaError('FORBIDDEN', 'only a party to the statement accepts it');
    await loadFor(ctx.deps, input.statementId, ctx.scope);
    const t = await ctx.deps.settlement.store.transition(input.statementId, acceptBy(ctx.scope));
    await audit(ctx, 'settlement.accept', input.statementId, t);
    return t.after;
  }),

  /** Dispute with the operator's own totals; the difference is shown and kept line by line. */
  dispute: operatorOrAdminProcedure.input(disputeInputSchema).mutation(async ({ ctx, input }) => {
    if (ctx.scope === null) throw new FederaError('FORBIDDEN', 'only a party to the statement disputes it');
    const { payload } = await loadFor(ctx.deps, input.statementId, ctx.scope);
    const lines = input.lines.map(({ lineNo, amount }) => {
      const line = payload.lines.find((l) => l.lineNo === lineNo);
      if (!line) throw new FederaError('VALIDATION_FAILED', `statement has no line ${lineNo}`);
      return { lineNo, claimed: amount, stated: line.settledAmount, difference: amount - line.settledAmount };
    });
    const dispute = { by: ctx.scope, at: new Date().toISOString(), lines };
    const t = await ctx.deps.settlement.store.transition(
      input.statementId,
      disputeBy(ctx.scope, dispute, payload.disputeDeadline),
    );
    await audit(ctx, 'settlement.dispute', input.statementId, t);
    return t.after;
  }),

  /**
   * An admin settles a dispute, once: with an adjustment that lands in the next open period, or, when
   * the pair's agreement says `credit-note`, with a credit note the settlement worker signs.
   */
  resolve: adminProcedure.input(resolveInputSchema).mutation(async ({ ctx, input }) => {
    const s = ctx.deps.settlement;
    const { payload } = await loadFor(ctx.deps, input.statementId, null);
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
    const currency = payload.settlementCurrency;
    // version 2 settles whole minor units: a resolution pays whole cents (or yen) too
    if (payload.version >= 2 && input.amount % minorUnitMicros(currency) !== 0)
      throw new FederaError('VALIDATION_FAILED', `amount must be a whole minor unit of ${currency}`);
    // the next period of the pair's own schedule still open for the adjustment (now + grace)
    const [a, b] = payload.parties;
    const topology = await ctx.deps.topology();
    const openAt = Date.now() + s.config.graceMs;
    const schedule = scheduleOfPair(topology, a, b, defaultSchedule(s.config), openAt);
    const targetPeriod = periodIn(schedule, openAt).id;
    const adjustment = {
      statementId: input.statementId,
      originalPeriod: payload.period.id,
      creditor: input.creditor,
      debtor: input.debtor,
      amount: input.amount,
      ...(payload.version >= 2 ? { currency } : {}),
    };
    const by = ctx.principal.subject;
    const at = new Date().toISOString();
    const agreement = topology.agreement(a, b);
    const decide =
      agreement?.resolution === 'credit-note'
        ? resolveWithCreditNote(adjustment, { by, at }, creditNoteFor(payload, adjustment, by, at))
        : resolveWith(adjustment, {
            by,
            at,
            targetPeriod,
          });
    const t = await s.store.transition(input.statementId, decide);
    await audit(ctx, 'settlement.resolve', input.statementId, t);
    return t.after;
  }),

  /**
   * Check a statement's signature (anyone) and, by default, recompute its totals from the usage
   * records (its parties and admins only, rate-limited per caller).
   */
  verify: authedProcedure.input(verifyInputSchema).mutation(async ({ ctx, input }) => {
    const s = ctx.deps.settlement;
    let verified;
    try {
      verified = await verifyStatement(input.jws, s.jwks);
    } catch (err) {
      return { signatureValid: false, reason: (err as Error).message, totalsMatch: null, differences: [] };
    }
    const { payload, kid } = verified;
    if (input.recompute) {
      // anyone may check a signature; reading the period's records back is for the parties and admins
      const { role, subject } = ctx.principal;
      if (role !== 'admin' && !(role === 'operator' && payload.parties.includes(subject)))
        throw new FederaError(
          'FORBIDDEN',
          'only the parties to a statement and admins may recompute it; verify with recompute: false',
        );
      await s.store.recomputes.take(`${role}:${subject}`);
    }
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
    const s = ctx.deps.settlement;
    const { payload } = await loadFor(ctx.deps, input.statementId, ctx.scope);
    const answer = (lineNo: number, proof: InclusionProof) => {
      const lineRoot = payload.lines.find((l) => l.lineNo === lineNo)!.merkleRoot;
      return { lineNo, lineRoot, proof, verified: verifyInclusion(proof, lineRoot) };
    };
    if (payload.version === 2) {
      // one pass over the line's records, derived from the usage streams (none are stored)
      const { lineNo, proof } = await proveRecord(
        usageReader(ctx.deps.ledger, s.store, s.config.archive),
        { topology: await ctx.deps.topology(), periodMs: s.config.periodMs, schedule: s.config.schedule },
        payload,
        input.recordRef,
      );
      return answer(lineNo, proof);
    }
    for (const line of payload.lines) {
      const refs = await s.store.allRefs(input.statementId, line.lineNo);
      const proof = proveInclusion(refs, input.recordRef);
      if (proof) return answer(line.lineNo, proof);
    }
    throw new FederaError('NOT_FOUND', `record '${input.recordRef}' is in no line of this statement`);
  }),

  /** Settle one period by hand; the same period settled again yields the same statement. */
  run: adminProcedure.input(periodInputSchema).mutation(async ({ ctx, input }) => {
    const s = ctx.deps.settlement;
    const period = periodById(input.periodId, s.config.periodMs);
    if (period.endMs + s.config.graceMs > Date.now())
      throw new FederaError('VALIDATION_FAILED', 'that period has not closed yet (end + grace window)');
    // an agreement change reaching back into settled periods: refused here as the run would (409)
    await guardScheduleHistory(s.store, s.config, await ctx.deps.topology(), { accept: false });
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
    try {
      return (await handle.result()) as unknown;
    } catch (err) {
      // a refused run (SCHEDULE_HISTORY_CONFLICT, VALIDATION_FAILED…) answers with its domain code
      throw domainErrorOfWorkflow(err) ?? err;
    }
  }),

  /** A tenant's retail usage in a period (by record time), per model. */
  tenantStatement: tenantProcedure.input(periodInputSchema).query(async ({ ctx, input }) => {
    const s = ctx.deps.settlement;
    const period = periodById(input.periodId, s.config.periodMs);
    const byModel = new Map<
      string,
      { model: string; requests: number; inputTokens: number; outputTokens: number; amount: number }
    >();
    let currency = ctx.topology.operator(ctx.tenant.homeOperator).currency;
    for await (const r of usageReader(ctx.deps.ledger, s.store, s.config.archive).between(
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
