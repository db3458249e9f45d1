/** initTRPC is called once, here; role checks live in these middlewares and narrow `ctx`. */
import { initTRPC, TRPCError } from '@trpc/server';
import type { Role } from '@federa/auth';
import { FederaError } from '@federa/domain';
import { storeUnavailableOr } from '@federa/redis';
import type { Context } from './context';
import { correlationIdOf, federaCodeOf, isInternal, retryAfterSeconds, toTRPCError } from './errors';

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const retryAfter = retryAfterSeconds(error);
    if (isInternal(error)) {
      // the cause (a Redis or Temporal message, a stack) goes to the log under this id, never out
      const correlationId = correlationIdOf(error);
      return {
        ...shape,
        message: `internal error (reference ${correlationId})`,
        data: {
          code: shape.data.code,
          httpStatus: shape.data.httpStatus,
          path: shape.data.path,
          federaCode: 'INTERNAL',
          correlationId,
        },
      };
    }
    return {
      ...shape,
      data: {
        ...shape.data,
        federaCode: federaCodeOf(error),
        stack: undefined,
        ...(retryAfter ? { retryAfter } : {}),
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Domain errors thrown anywhere below become the right tRPC error, once. */
const mapDomainErrors = t.middleware(async ({ ctx, next }) => {
  const result = await next();
  // a store failing over (a Redis master killed) is a retryable 503, not an internal error
  const cause = result.ok ? undefined : storeUnavailableOr(result.error.cause);
  if (!result.ok && cause instanceof FederaError) {
    const mapped = toTRPCError(cause);
    const retryAfter = retryAfterSeconds(mapped);
    if (retryAfter) ctx.setHeader('retry-after', String(retryAfter));
    return { ...result, error: mapped };
  }
  return result;
});

export const publicProcedure = t.procedure.use(mapDomainErrors);

const authenticated = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.principal) {
    throw new TRPCError({
      code: 'UNAUTHORIZED',
      message: ctx.authError?.message ?? 'authentication required',
      cause: ctx.authError ?? undefined,
    });
  }
  return next({ ctx: { ...ctx, principal: ctx.principal } });
});

function withRole<R extends Role>(role: R) {
  return authenticated.use(({ ctx, next }) => {
    if (ctx.principal.role !== role) {
      throw new TRPCError({ code: 'FORBIDDEN', message: `this procedure needs the '${role}' role` });
    }
    return next({ ctx: { ...ctx, principal: { ...ctx.principal, role } } });
  });
}

export const authedProcedure = authenticated;
export const tenantProcedure = withRole('tenant').use(async ({ ctx, next }) => {
  // the tenant must exist in the federation; its id comes from the token, never from input
  const topology = await ctx.deps.topology();
  const tenant = topology.tenant(ctx.principal.subject);
  return next({ ctx: { ...ctx, tenant, topology } });
});
export const operatorProcedure = withRole('operator');
export const adminProcedure = withRole('admin');

/**
 * Operators act on their own resources only, admins on any: the procedure gets `scope`, the
 * operator id it may touch (null = any). Ownership checks compare against it, nowhere else.
 */
export const operatorOrAdminProcedure = authenticated.use(({ ctx, next }) => {
  const { role, subject } = ctx.principal;
  if (role !== 'operator' && role !== 'admin') {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: "this procedure needs the 'operator' or 'admin' role",
    });
  }
  return next({ ctx: { ...ctx, scope: role === 'operator' ? subject : null } });
});
