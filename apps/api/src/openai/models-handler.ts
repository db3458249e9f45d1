/** GET /v1/models and GET /v1/models/{id}: what this tenant (and its key) may use, and where. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServedDeps } from '../context';
import { sendJson } from './http';
import { renderModel, renderModelList, requireModel, tenantModels } from './models';
import { requestedResidency } from './schemas';
import { keyLimitsOf, residencyFor, tenantCaller } from './tenant-call';

export async function handleModels(
  deps: ServedDeps,
  req: IncomingMessage,
  res: ServerResponse,
  /** absent: the list */
  modelId: string | undefined,
): Promise<void> {
  const caller = await tenantCaller(deps, req);
  const key = keyLimitsOf(caller.principal);
  const { allowed } = residencyFor(
    caller,
    key,
    requestedResidency(req.headers['x-federa-residency'], undefined),
  );
  const models = tenantModels(caller.topology, caller.tenant, allowed, key, Date.now());
  if (modelId === undefined) sendJson(res, 200, renderModelList(models));
  else sendJson(res, 200, renderModel(requireModel(models, modelId)));
}
