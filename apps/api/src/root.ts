import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { auditRouter } from './routers/audit';
import { authRouter } from './routers/auth';
import { budgetsRouter } from './routers/budgets';
import { inferenceRouter } from './routers/inference';
import { keysRouter } from './routers/keys';
import { policyRouter } from './routers/policy';
import { rateCardsRouter } from './routers/rate-cards';
import { routingRouter } from './routers/routing';
import { settlementRouter } from './routers/settlement';
import { fxRouter } from './routers/fx';
import { sitesRouter } from './routers/sites';
import { groupsRouter, tenantsRouter } from './routers/tenants';
import { usageRouter } from './routers/usage';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  auth: authRouter,
  inference: inferenceRouter,
  usage: usageRouter,
  keys: keysRouter,
  budgets: budgetsRouter,
  audit: auditRouter,
  policy: policyRouter,
  tenants: tenantsRouter,
  groups: groupsRouter,
  rateCards: rateCardsRouter,
  sites: sitesRouter,
  routing: routingRouter,
  settlement: settlementRouter,
  fx: fxRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export const createCaller = createCallerFactory(appRouter);
