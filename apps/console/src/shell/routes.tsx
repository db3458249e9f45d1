/**
 * Every page of the console and who may see it. The navigation is built from this table, so a page
 * a role may not use is never offered; the API enforces the same roles on every call regardless.
 */
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import type { Whoami } from '../session/session';

export interface PageProps {
  readonly params: Record<string, string>;
}

export interface Route {
  readonly path: string;
  readonly title: string;
  /** shown in the navigation (detail pages are reached from their list) */
  readonly inNav: boolean;
  readonly allowed: (who: Whoami) => boolean;
  readonly page: LazyExoticComponent<ComponentType<PageProps>>;
}

const tenant = (who: Whoami) => who.role === 'tenant';
/** API keys are managed with a tenant session (JWT); the API refuses key management to a key */
const tenantSession = (who: Whoami) => who.role === 'tenant' && who.credential === 'jwt';
const operator = (who: Whoami) => who.role === 'operator';
const operatorOrAdmin = (who: Whoami) => who.role === 'operator' || who.role === 'admin';
const admin = (who: Whoami) => who.role === 'admin';

export const ROUTES: readonly Route[] = [
  {
    path: '/tenant',
    title: 'Spend',
    inNav: true,
    allowed: tenant,
    page: lazy(() => import('../pages/tenant/overview')),
  },
  {
    path: '/tenant/usage',
    title: 'Usage',
    inNav: true,
    allowed: tenant,
    page: lazy(() => import('../pages/tenant/usage')),
  },
  {
    path: '/tenant/keys',
    title: 'API keys',
    inNav: true,
    allowed: tenantSession,
    page: lazy(() => import('../pages/tenant/keys')),
  },
  {
    path: '/tenant/explain',
    title: 'Routing dry run',
    inNav: true,
    allowed: tenant,
    page: lazy(() => import('../pages/tenant/explain')),
  },
  {
    path: '/operator/sites',
    title: 'Sites',
    inNav: true,
    allowed: operatorOrAdmin,
    page: lazy(() => import('../pages/operator/sites')),
  },
  {
    path: '/operator/traffic',
    title: 'Roaming traffic',
    inNav: true,
    allowed: operator,
    page: lazy(() => import('../pages/operator/traffic')),
  },
  {
    path: '/operator/statements',
    title: 'Statements',
    inNav: true,
    allowed: operatorOrAdmin,
    page: lazy(() => import('../pages/operator/statements')),
  },
  {
    path: '/operator/statements/:statementId',
    title: 'Statement',
    inNav: false,
    allowed: operatorOrAdmin,
    page: lazy(() => import('../pages/operator/statement')),
  },
  {
    path: '/admin/policy',
    title: 'Routing policy',
    inNav: true,
    allowed: admin,
    page: lazy(() => import('../pages/admin/policy')),
  },
  {
    path: '/admin/tenants',
    title: 'Tenants & budgets',
    inNav: true,
    allowed: admin,
    page: lazy(() => import('../pages/admin/tenants')),
  },
  {
    path: '/admin/rates',
    title: 'Rate cards & FX',
    inNav: true,
    allowed: admin,
    page: lazy(() => import('../pages/admin/rates')),
  },
  {
    path: '/admin/audit',
    title: 'Audit log',
    inNav: true,
    allowed: admin,
    page: lazy(() => import('../pages/admin/audit')),
  },
];

/** Where a role lands after sign-in. */
export function homeOf(who: Whoami): string {
  return ROUTES.find((r) => r.inNav && r.allowed(who))?.path ?? '/';
}
