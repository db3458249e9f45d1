/**
 * The models a tenant may use: priced on its home operator's rate card (it is billed there) and
 * served by at least one site inside its residency that is not down, not excluded for it by policy,
 * and priced by its own operator. A pure function of the topology, like routing.
 */
import { FederaError, effectivePolicy, type Tenant, type TopologyIndex } from '@federa/domain';
import type { KeyLimits } from './tenant-call';

export interface TenantModel {
  readonly id: string;
  /** the tenant's home operator, who bills it */
  readonly ownedBy: string;
  /** countries with a site that may serve it, sorted */
  readonly jurisdictions: readonly string[];
}

export function tenantModels(
  topology: TopologyIndex,
  tenant: Tenant,
  allowed: ReadonlySet<string>,
  key: KeyLimits,
  atMs: number,
): TenantModel[] {
  const excluded = effectivePolicy(topology.topology.routing, tenant.id).excludedSites;
  const keyModels = key.models ? new Set(key.models) : undefined;
  const byModel = new Map<string, Set<string>>();
  for (const site of topology.topology.sites) {
    if (!allowed.has(site.jurisdiction) || site.status === 'down' || excluded.has(site.id)) continue;
    for (const { id } of site.models) {
      if (keyModels && !keyModels.has(id)) continue;
      if (!topology.rateAt(tenant.homeOperator, id, atMs) || !topology.rateAt(site.operator, id, atMs))
        continue;
      const set = byModel.get(id) ?? new Set<string>();
      set.add(site.jurisdiction);
      byModel.set(id, set);
    }
  }
  return [...byModel]
    .map(([id, set]) => ({ id, ownedBy: tenant.homeOperator, jurisdictions: [...set].sort() }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The model, if this tenant may use it; UNKNOWN_MODEL (404 model_not_found on /v1) otherwise. */
export function requireModel(models: readonly TenantModel[], id: string): TenantModel {
  const model = models.find((m) => m.id === id);
  if (!model)
    throw new FederaError(
      'UNKNOWN_MODEL',
      `The model '${id}' does not exist or you do not have access to it.`,
    );
  return model;
}

/** OpenAI's model object, with where Federa may serve it. */
export function renderModel(model: TenantModel) {
  return {
    id: model.id,
    object: 'model' as const,
    // OpenAI's creation time; the federation's models have none, and clients do not rely on it
    created: 0,
    owned_by: model.ownedBy,
    federa: { jurisdictions: model.jurisdictions },
  };
}

export function renderModelList(models: readonly TenantModel[]) {
  return { object: 'list' as const, data: models.map(renderModel) };
}
