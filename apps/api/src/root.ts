import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { auditRouter } from './routers/audit';
import { budgetsRouter } from './routers/budgets';
import { inferenceRouter } from './routers/inference';
import { usageRouter } from './routers/usage';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  inference: inferenceRouter,
  usage: usageRouter,
  budgets: budgetsRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export const createCaller = createCallerFactory(appRouter);
